/**
 * Redis streams as a training source, measured on loopback against a real redis-server (started here on a free
 * port, no persistence, stopped at the end):
 *   A. publish rows/s: the bundled MNIST (60 000 u8 rows of 784) with publishRows, one row per entry and 100;
 *   B. consume rows/s: N = 1, 2, 4 consumers of one group in this process, acknowledging every 1000 rows;
 *   C. a simulation: a producer and N = 1, 2, 4 stand-in trainers (bench/redis_stand_in_trainer.ts: separate
 *      processes, shuffle window, fixed step time, checkpoints then acknowledgements). Trainer 0 is killed with
 *      kill -9 and restarted with --resume; for N ≥ 2 trainer 1 is killed for good (its entries must be claimed).
 *      Reported: rows published, lost (must be 0), trained twice, pending at the end (must be 0), rows/s, and
 *      the restarted trainer's recovery time (kill → its first step after resuming, node start-up included).
 *      bench/redis_trainers.ts runs the same with real `aevb train` processes beside the stand-ins.
 *   D. parameter averaging (src/peers/redis_peers.node.ts): seconds and bytes per round for the default
 *      784-500-20 model's 815 824 parameters, N = 2 and 4 trainers in this process.
 *
 * Run:  node --import tsx bench/redis_stream.ts [--quick]
 * Numbers are for comparison within one run on one machine (shared, noisy); never used as test assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { fileSource } from '../src/data/file_source.node.ts';
import { mnistFile } from '../src/data/mnist.node.ts';
import { publishRows } from '../src/data/redis/publish.node.ts';
import { redisSource } from '../src/data/redis/source.node.ts';
import { parsePeersUrl } from '../src/peers/peers_url.node.ts';
import { PeerAveraging } from '../src/peers/redis_peers.node.ts';
import { startRedisServer } from '../test/servers/redis_server.ts';
import { numberedRows, parseTrainedLog } from './redis_numbered_rows.ts';

const quick = process.argv.includes('--quick');
const D = 784;
const SIM_ROWS = quick ? 12_000 : 40_000;
const SIM = { stepMs: 10, B: 100, W: 1000, K: 10, claimAfterMs: 1500, keepAliveMs: 300, endAfterIdleMs: 4000 };
const trainerScript = fileURLToPath(new URL('./redis_stand_in_trainer.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const server = await startRedisServer();
const admin = new Redis(server.url, { protocol: 2 });
console.log(
  `redis-server ${(await admin.info('server')).match(/redis_version:(\S+)/)?.[1]} on ${server.url}; ${quick ? 'quick run' : 'full run'}\n`,
);

try {
  // A. Publishing.
  const mnist = fileSource(mnistFile('train'));
  console.log('A. publish (MNIST train, 60 000 rows of 784 u8)');
  for (const packRows of [1, 100]) {
    const r = await publishRows(mnist, `${server.url}/mnist-pack${packRows}`, {
      packRows,
      maxRows: quick && packRows === 1 ? 20_000 : Infinity,
    });
    console.log(
      `   ${String(packRows).padStart(3)} rows/entry: ${r.rows} rows in ${r.seconds.toFixed(2)} s = ${(r.rows / r.seconds).toFixed(0)} rows/s`,
    );
  }

  // B. Consuming.
  console.log('\nB. consume (the 100-rows/entry stream; XREADGROUP + XACK after every ~1000 rows)');
  for (const N of [1, 2, 4]) {
    const consumers = Array.from({ length: N }, (_, i) =>
      redisSource(`${server.url}/mnist-pack100?group=read${N}&consumer=c${i}&block=100&end-after-idle=300`),
    );
    const started = performance.now();
    let last = started;
    const rows = await Promise.all(
      consumers.map(async (c) => {
        let n = 0;
        let acked = 0;
        for await (const block of c.open()) {
          n += block.rows;
          last = performance.now();
          if (n - acked >= 1000) {
            await c.checkpointed({ rowsConsumed: n, source: c.checkpointState() });
            acked = n;
          }
        }
        await c.checkpointed({ rowsConsumed: n, source: c.checkpointState() });
        await c.close();
        return n;
      }),
    );
    const total = rows.reduce((a, b) => a + b, 0);
    const seconds = (last - started) / 1000;
    console.log(
      `   N = ${N}: ${total} rows in ${seconds.toFixed(2)} s = ${(total / seconds).toFixed(0)} rows/s (per consumer: ${rows.join(', ')})`,
    );
  }

  // C. The simulation.
  console.log(
    `\nC. simulation: ${SIM_ROWS} rows (10/entry), stand-in trainers with B = ${SIM.B}, ${SIM.stepMs} ms steps, window ${SIM.W}, checkpoint every ${SIM.K} steps,`,
  );
  console.log(
    `   claim-after ${SIM.claimAfterMs} ms; trainer 0 killed (-9) and restarted, trainer 1 (N ≥ 2) killed for good`,
  );
  console.log('   rows/s: rows trained ÷ time from the first step to the last, the kill and the restart included');
  console.log('   N | published | lost | trained twice | pending at end | dead-lettered | rows/s | recovery (s)');
  for (const N of [1, 2, 4]) console.log(await simulate(N));

  // D. Averaging.
  const P = 815_824;
  console.log(
    `\nD. parameter averaging, ${P} float32 parameters (${((4 * P) / 1e6).toFixed(2)} MB) per trainer, 5 rounds each`,
  );
  for (const N of [2, 4]) {
    const peers = Array.from(
      { length: N },
      (_, rank) =>
        new PeerAveraging(parsePeersUrl(`${server.url}/avg-${N}?size=${N}&rank=${rank}&every=100&deadline=30000`)),
    );
    await Promise.all(peers.map((p) => p.join()));
    const params = peers.map((_, rank) => new Float32Array(P).fill(rank));
    let seconds = 0;
    let sent = 0;
    let received = 0;
    for (let round = 1; round <= 5; round++) {
      const results = await Promise.all(
        peers.map((p, rank) =>
          p.average(round, params[rank], async (vectors) =>
            Float32Array.from(vectors[0], (_, i) => vectors.reduce((sum, v) => sum + v[i], 0) / vectors.length),
          ),
        ),
      );
      seconds += Math.max(...results.map((r) => r.seconds));
      sent += results.reduce((a, r) => a + r.bytesSent, 0);
      received += results.reduce((a, r) => a + r.bytesReceived, 0);
    }
    await Promise.all(peers.map((p) => p.leave()));
    console.log(
      `   N = ${N}: ${(seconds / 5).toFixed(3)} s per round; per round ${(sent / 5 / 1e6).toFixed(1)} MB sent, ${(received / 5 / 1e6).toFixed(1)} MB received (all trainers)`,
    );
  }
} finally {
  admin.disconnect();
  await server.stop();
}

async function simulate(N: number): Promise<string> {
  const stream = `sim-${N}`;
  const root = mkdtempSync(join(tmpdir(), `aevb-redis-sim-${N}-`));
  const url = (i: number) =>
    `${server.url}/${stream}?group=train&consumer=trainer-${i}&block=200&claim-after=${SIM.claimAfterMs}&keep-alive=${SIM.keepAliveMs}&end-after-idle=${SIM.endAfterIdleMs}`;
  const dirs = Array.from({ length: N }, (_, i) => join(root, `trainer-${i}`));
  const start = (i: number, resume: boolean): ChildProcess => {
    mkdirSync(dirs[i], { recursive: true });
    const args = [
      '--import',
      'tsx',
      trainerScript,
      url(i),
      dirs[i],
      ...[SIM.stepMs, SIM.B, SIM.W, SIM.K].map(String),
      ...(resume ? ['--resume'] : []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    return child;
  };
  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => c.once('exit', () => r()));
  const steps = (i: number) =>
    existsSync(join(dirs[i], 'trained.log'))
      ? readFileSync(join(dirs[i], 'trained.log'), 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('S ')).length
      : 0;
  /** Waits (at most 60 s) until trainer i has logged `n` steps, or has exited. */
  const untilSteps = async (i: number, n: number) => {
    for (let t = 0; t < 600 && steps(i) < n && children[i].exitCode === null; t++) await sleep(50);
    if (steps(i) < n)
      throw new Error(`trainer ${i} exited after ${steps(i)} steps, before step ${n}: make the stream longer`);
  };

  await admin.call('XGROUP', 'CREATE', stream, 'train', '0', 'MKSTREAM');
  const children = dirs.map((_, i) => start(i, false));
  const publishing = publishRows(numberedRows(SIM_ROWS), `${server.url}/${stream}`, { packRows: 10 });
  await untilSteps(0, 15);
  children[0].kill('SIGKILL');
  const killedAt = performance.now();
  await exited(children[0]);
  if (N >= 2) {
    await untilSteps(1, 15);
    children[1].kill('SIGKILL');
  }
  await sleep(500);
  const killedSteps = steps(0);
  children[0] = start(0, true);
  await untilSteps(0, killedSteps + 1);
  const recovery = (performance.now() - killedAt) / 1000;
  const published = await publishing;
  await Promise.all(children.map(exited));

  // Which rows made it into a model: a resumed incarnation discards the steps after its checkpoint; a trainer
  // killed for good keeps only the steps up to its last checkpoint.
  const counts = new Uint32Array(SIM_ROWS);
  let firstStep = Infinity;
  let lastStep = 0;
  for (let i = 0; i < N; i++) {
    const { valid, taken } = parseTrainedLog(readFileSync(join(dirs[i], 'trained.log'), 'utf8').split('\n'));
    for (const { time } of taken) {
      firstStep = Math.min(firstStep, time);
      lastStep = Math.max(lastStep, time);
    }
    const checkpointed = JSON.parse(readFileSync(join(dirs[i], 'checkpoint.json'), 'utf8')).step as number;
    for (const { step, ids } of valid) if (step <= checkpointed) for (const id of ids) counts[id]++;
  }
  let lost = 0;
  let twice = 0;
  let trained = 0;
  for (const c of counts) {
    if (c === 0) lost++;
    else trained++;
    if (c > 1) twice += c - 1;
  }
  const pending = Number(((await admin.call('XPENDING', stream, 'train')) as [number])[0]);
  const dead = Number(await admin.call('XLEN', `{${stream}}:dead`));
  const rate = trained / ((lastStep - firstStep) / 1000);
  return `   ${N} | ${String(published.rows).padStart(9)} | ${String(lost).padStart(4)} | ${String(twice).padStart(13)} | ${String(pending).padStart(14)} | ${String(dead).padStart(13)} | ${rate.toFixed(0).padStart(6)} | ${recovery.toFixed(2)}`;
}
