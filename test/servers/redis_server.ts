// Test helper: a real redis-server (Debian's package; .ci/setup installs it) as a child process on 127.0.0.1,
// on a free port, with no persistence (nothing written to disk) unless asked, stopped by its PID when the suite
// ends. Options: a password (--requirepass), an append-only file in a directory (so a server killed and started
// again on the same port with restart() comes back with its streams), a port of one's own. startRedisCluster:
// three (or more) such servers with --cluster-enabled, joined by `redis-cli --cluster create`, no replicas.
// With `tls`, the server speaks TLS only (--port 0 --tls-port PORT) and its url is rediss://.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  port: number;
  /** redis://127.0.0.1:PORT (without the password); rediss:// with `tls` */
  url: string;
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL: no shutdown, as a crash). */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same options (its append-only file, if any, is loaded). */
  restart(): Promise<void>;
}

export interface RedisServerOptions {
  /** --requirepass: clients must AUTH. */
  password?: string;
  /** Keep an append-only file (fsync at every write) in this directory. */
  appendOnlyDir?: string;
  /** Start as a Redis Cluster node (--cluster-enabled yes), its nodes.conf in this directory. */
  clusterDir?: string;
  /** Speak TLS only, with these PEM files (test/servers/test_certificates.ts makes them). */
  tls?: RedisServerTls;
}

export interface RedisServerTls {
  /** The server's certificate and key (--tls-cert-file, --tls-key-file). */
  cert: string;
  key: string;
  /** The CA that clients' certificates must be signed by (--tls-ca-cert-file). */
  ca: string;
  /** --tls-auth-clients: whether a client must show a certificate. */
  authClients: boolean;
}

/** Whether redis-server can be run; when not, prints why the suites that need it are skipped. */
export function redisServerInstalled(suite: string): boolean {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error === undefined && probe.status === 0) return true;
  console.log(`SKIPPED ${suite}: redis-server is not installed (apt-get install -y redis-server; .ci/setup does)`);
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function spawnServer(port: number, o: RedisServerOptions): { child: ChildProcess; output: () => string } {
  const persistence =
    o.appendOnlyDir === undefined
      ? ['--appendonly', 'no']
      : ['--dir', o.appendOnlyDir, '--appendonly', 'yes', '--appendfsync', 'always'];
  const auth = o.password === undefined ? [] : ['--requirepass', o.password];
  const cluster =
    o.clusterDir === undefined
      ? []
      : ['--cluster-enabled', 'yes', '--cluster-config-file', join(o.clusterDir, `nodes-${port}.conf`)];
  const ports =
    o.tls === undefined
      ? ['--port', String(port)]
      : [
          ...['--port', '0', '--tls-port', String(port)],
          ...['--tls-cert-file', o.tls.cert, '--tls-key-file', o.tls.key, '--tls-ca-cert-file', o.tls.ca],
          ...['--tls-auth-clients', o.tls.authClients ? 'yes' : 'no'],
        ];
  const child = spawn(
    'redis-server',
    [
      ...ports,
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      ...persistence,
      ...auth,
      ...cluster,
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output };
}

/** Starts redis-server and waits (at most 10 s) until it accepts connections. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    let { child, output } = spawnServer(port, options);
    const ready = await waitUntilListening(child, port, 10_000, options.tls !== undefined);
    if (ready) {
      return {
        port,
        url: `${options.tls === undefined ? 'redis' : 'rediss'}://127.0.0.1:${port}`,
        stop: () => stopChild(child),
        kill: () => stopChild(child, 'SIGKILL'),
        restart: async () => {
          await stopChild(child);
          ({ child, output } = spawnServer(port, options));
          if (!(await waitUntilListening(child, port, 10_000, options.tls !== undefined)))
            throw new Error(`redis-server did not start again on 127.0.0.1:${port}: ${output().trim()}`);
        },
      };
    }
    await stopChild(child);
    // Another process may have taken the port between the probe and the start: try another, three times.
    if (attempt === 3) throw new Error(`redis-server did not start on 127.0.0.1:${port}: ${output().trim()}`);
  }
}

async function waitUntilListening(child: ChildProcess, port: number, timeoutMs: number, tls = false): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) return false;
    // A TLS port may want a client certificate before it answers anything: that it accepts connections will do.
    const answered = await new Promise<boolean>((resolve) => {
      if (tls) {
        const socket = createConnection(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
        return;
      }
      const socket = connect(port, '127.0.0.1');
      socket.once('data', (d: Buffer) => {
        socket.destroy();
        // A server with a password answers NOAUTH: listening all the same.
        resolve(d.toString().startsWith('+PONG') || d.toString().startsWith('-NOAUTH'));
      });
      socket.once('error', () => resolve(false));
      socket.write('PING\r\n');
    });
    if (answered) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** A local Redis Cluster: its masters, and the URL of the first (a seed: clients learn the others from it). */
export interface RedisCluster {
  nodes: RedisServer[];
  /** redis://127.0.0.1:PORT of the first node. */
  url: string;
  stop(): Promise<void>;
}

function redisCli(args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error)
        reject(
          new Error(
            `redis-cli ${args.join(' ')} failed: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? "redis-cli is not installed (apt-get install -y redis-tools; Debian's redis-server package brings it)" : `${error.message} ${stdout}${stderr}`.trim()}`,
          ),
        );
      else resolve(stdout);
    });
  });
}

/**
 * Starts `masters` redis-server processes as cluster nodes on free ports, joins them with `redis-cli --cluster
 * create … --cluster-replicas 0 --cluster-yes`, and waits (at most 20 s) until every node says cluster_state:ok.
 * Needs redis-cli: without it this throws, saying so (a cluster test must not pass by skipping).
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const probe = spawnSync('redis-cli', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0)
    throw new Error(
      "redis-cli is not installed: the Redis Cluster test needs it to create the cluster (apt-get install -y redis-tools; Debian's redis-server package brings it)",
    );
  const dir = mkdtempSync(join(tmpdir(), 'aevb-redis-cluster-'));
  const nodes: RedisServer[] = [];
  const stop = async () => {
    for (const node of nodes) await node.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) nodes.push(await startRedisServer({ clusterDir: dir }));
    await redisCli([
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    const deadline = performance.now() + 20_000;
    for (const node of nodes) {
      while (!(await redisCli(['-p', String(node.port), 'cluster', 'info'])).includes('cluster_state:ok')) {
        if (performance.now() > deadline)
          throw new Error(`the cluster node 127.0.0.1:${node.port} did not reach cluster_state:ok in 20 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, url: nodes[0].url, stop };
}
