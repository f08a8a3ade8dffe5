// `aevb train --data redis://…` as a process, against a real redis-server: every set-up error (a stream that
// holds no rows, --early-stop without validation, --test-data of another D, a resume with nothing left) prints
// its message and exits non-zero at once — no connection keeps the process alive; SIGINT stops a trainer that
// waits in a blocking read within 3 s, with its checkpoint; and a password — in the URL, in REDIS_PASSWORD or in
// --redis-password-file — is never printed nor written to any file of the run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { publishRows } from '../src/data/redis/publish.node.ts';
import { memorySource } from '../src/data/memory_source.ts';
import { readCheckpoint } from '../src/io/checkpoint.node.ts';
import { redisServerInstalled, startRedisServer, type RedisServer } from './servers/redis_server.ts';
import { npyBytes } from './npy_writer.ts';
import { seededUniform } from './seeded_random.ts';

const bin = fileURLToPath(new URL('../bin/aevb.js', import.meta.url));
const D = 16;
const MODEL = ['--hidden', '8', '--latent', '2', '--batch', '20', '--no-binarize'];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Seconds from the start to the exit. */
  seconds: number;
  /** When it exited (performance.now()). */
  exitedAt: number;
  /** Seconds from the first stderr line holding `marker` (if given and seen) to the exit. */
  afterMarker: number | null;
}

/** Runs `aevb …`; `during` gets the child and its output so far (to signal it); killed after `timeoutMs`. */
function aevb(
  args: string[],
  o: {
    env?: Record<string, string>;
    marker?: string;
    timeoutMs?: number;
    during?: (child: ReturnType<typeof spawn>, out: () => string) => Promise<void>;
  } = {},
): Promise<Exit> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let markedAt: number | null = null;
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => {
      stderr += d;
      if (markedAt === null && o.marker !== undefined && stderr.includes(o.marker)) markedAt = performance.now();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const now = performance.now();
      // Let the pipes drain.
      setTimeout(
        () =>
          resolve({
            code,
            signal,
            stdout,
            stderr,
            seconds: (now - started) / 1000,
            exitedAt: now,
            afterMarker: markedAt === null ? null : (now - markedAt) / 1000,
          }),
        50,
      );
    });
    void o.during?.(child, () => stdout + stderr);
  });
}

const rowsOf = (count: number, seed: number) => memorySource(Float32Array.from(seededUniform(seed, count * D)), { D });
const npyFile = (rows: number, dim: number) => {
  const file = join(mkdtempSync(join(tmpdir(), 'aevb-exits-')), 'rows.npy');
  writeFileSync(file, npyBytes('<f4', [rows, dim], seededUniform(3, rows * dim)));
  return file;
};
const newOut = () => mkdtempSync(join(tmpdir(), 'aevb-exits-out-'));

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => statSync(f).isFile());
}

if (redisServerInstalled('the Redis CLI exit tests')) {
  let server: RedisServer;

  test.before(async () => {
    server = await startRedisServer();
    await publishRows(rowsOf(400, 1), `${server.url}/rows`, { packRows: 20 });
  });
  test.after(async () => {
    await server?.stop();
  });

  /** A set-up error: the message, then the exit (status 1) within 3 s of it. */
  const refused = (run: Exit, message: string) => {
    assert.is(run.code, 1, `exit status 1, got ${run.code} (${run.signal}): ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.ok(
      run.afterMarker !== null && run.afterMarker < 3,
      `exited ${run.afterMarker?.toFixed(2)} s after the message (${run.seconds.toFixed(1)} s in all)`,
    );
    console.log(
      `  ${message}: exit ${run.code} ${run.afterMarker!.toFixed(2)} s after the message, ${run.seconds.toFixed(1)} s in all`,
    );
  };

  test('set-up errors with a Redis source exit non-zero at once: holds no rows, --early-stop without validation, --test-data of another D', async () => {
    const empty = await aevb(
      ['train', '--data', `${server.url}/empty?group=g&consumer=c&end-after-idle=500`, ...MODEL, '--out', newOut()],
      { marker: 'holds no rows' },
    );
    refused(empty, 'holds no rows');
    const url = `${server.url}/rows?group=setup&consumer=c&end-after-idle=1000`;
    const early = await aevb(['train', '--data', url, ...MODEL, '--early-stop', '2', '--out', newOut()], {
      marker: '--early-stop watches the validation ELBO',
    });
    refused(early, '--early-stop watches the validation ELBO');
    const test8 = await aevb(['train', '--data', url, '--test-data', npyFile(50, 8), ...MODEL, '--out', newOut()], {
      marker: "test rows have 8 values, but the training data's have 16",
    });
    refused(test8, "test rows have 8 values, but the training data's have 16");
    // None of them took an entry from the group.
    const admin = new Redis(server.url);
    try {
      assert.is(((await admin.xpending('rows', 'setup')) as [number])[0], 0, 'set-up took nothing from the group');
    } finally {
      admin.disconnect();
    }
  });

  test('a resume with nothing left in the stream exits non-zero at once', async () => {
    await publishRows(rowsOf(200, 2), `${server.url}/short`, { packRows: 20 });
    const out = newOut();
    const first = await aevb([
      'train',
      '--data',
      `${server.url}/short?group=g&consumer=c&end-after-idle=1000`,
      ...MODEL,
      '--shuffle-window',
      '100',
      '--out',
      out,
    ]);
    assert.is(first.code, 0, first.stderr);
    const again = await aevb(['train', '--resume', out, '--epochs', '2'], { marker: 'holds no rows' });
    refused(again, 'holds no rows');
  });

  test('SIGINT stops a trainer blocked in a read within 3 s: exit 130, a checkpoint, its entries acknowledged', async () => {
    await publishRows(rowsOf(200, 4), `${server.url}/online`, { packRows: 20 });
    const out = newOut();
    let signalledAt = 0;
    // No end-after-idle: once its 200 rows are trained the trainer waits for more, in XREADGROUP … BLOCK.
    const run = await aevb(
      ['train', '--data', `${server.url}/online?group=g&consumer=c`, ...MODEL, '--shuffle-window', '100', '--out', out],
      {
        during: async (child, output) => {
          while (!output().includes('device:')) await new Promise((r) => setTimeout(r, 50));
          await new Promise((r) => setTimeout(r, 4000));
          signalledAt = performance.now();
          child.kill('SIGINT');
        },
      },
    );
    const afterSignal = (run.exitedAt - signalledAt) / 1000;
    assert.is(run.code, 130, run.stderr);
    assert.ok(afterSignal < 3, `exited ${afterSignal.toFixed(2)} s after SIGINT`);
    console.log(`  SIGINT: exit ${run.code} ${afterSignal.toFixed(2)} s after the signal`);
    assert.match(run.stdout, 'interrupted; checkpoint at step');
    assert.ok(existsSync(join(out, 'checkpoint.safetensors')));
    const state = readCheckpoint(out).run!;
    assert.ok(state.acknowledged!.rowsConsumed > 0);
  });

  test('a password is never printed nor written: in the URL, from REDIS_PASSWORD, from --redis-password-file; a resume takes it from outside', async () => {
    const secret = 'S3cr3t-Pa55w0rd';
    const locked = await startRedisServer({ password: secret });
    const host = locked.url.slice('redis://'.length);
    const outputs: string[] = [];
    const check = (run: Exit, what: string) => {
      outputs.push(run.stdout, run.stderr);
      assert.not.ok(
        run.stdout.includes(secret) || run.stderr.includes(secret),
        `${what}: the password was printed: ${run.stdout}${run.stderr}`,
      );
    };
    try {
      const file = npyFile(300, D);
      const inUrl = await aevb([
        'publish',
        '--data',
        file,
        '--to',
        `redis://:${secret}@${host}/rows`,
        '--pack-rows',
        '20',
      ]);
      check(inUrl, 'publish, password in the URL');
      assert.is(inUrl.code, 0, inUrl.stderr);
      assert.match(inUrl.stdout, `published 300 rows of ${file} in 15 entries to ${locked.url}/rows`);
      const passwordFile = join(mkdtempSync(join(tmpdir(), 'aevb-secret-')), 'redis-password');
      writeFileSync(passwordFile, `${secret}\n`);
      const fromFile = await aevb([
        'publish',
        '--data',
        file,
        '--to',
        `${locked.url}/more`,
        '--redis-password-file',
        passwordFile,
      ]);
      check(fromFile, 'publish --redis-password-file');
      assert.is(fromFile.code, 0, fromFile.stderr);
      const both = await aevb([
        'publish',
        '--data',
        file,
        '--to',
        `redis://:${secret}@${host}/more`,
        '--redis-password-file',
        passwordFile,
      ]);
      check(both, 'publish, the password twice');
      assert.is(both.code, 1);
      assert.match(both.stderr, 'give it once');

      const out = newOut();
      const url = (auth: string) => `redis://${auth}${host}/rows?group=g&consumer=c&end-after-idle=1000`;
      const trained = await aevb([
        'train',
        '--data',
        url(`:${secret}@`),
        '--test-data',
        npyFile(40, D),
        ...MODEL,
        '--shuffle-window',
        '100',
        '--checkpoint-every',
        '5',
        '--out',
        out,
      ]);
      check(trained, 'train, password in the URL');
      assert.is(trained.code, 0, trained.stderr);
      assert.match(trained.stdout, `on ${locked.url}/rows`);
      const withoutPassword = await aevb(['train', '--data', url(''), ...MODEL, '--out', newOut()], {
        marker: 'NOAUTH',
      });
      check(withoutPassword, 'train without the password');
      refused(withoutPassword, 'REDIS_PASSWORD or --redis-password-file');
      const badUrl = await aevb([
        'train',
        '--data',
        `redis://admin:${secret}@${host}/rows?group=g`,
        ...MODEL,
        '--out',
        newOut(),
      ]);
      check(badUrl, 'a URL refused');
      assert.match(badUrl.stderr, `redis://admin@${host}/rows?group=g: expected ?consumer=NAME`);

      // The checkpoint's data URL has no password: the resume takes it from the environment.
      const redis = new Redis({ port: locked.port, host: '127.0.0.1', password: secret });
      await redis.call('XADD', 'rows', '*', 'd', String(D), 't', 'u8', 'x', Buffer.alloc(20 * D, 7));
      redis.disconnect();
      const resumed = await aevb(['train', '--resume', out, '--epochs', '2'], { env: { REDIS_PASSWORD: secret } });
      check(resumed, 'train --resume with REDIS_PASSWORD');
      assert.is(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stdout, 'resuming from');

      const files = filesUnder(out);
      assert.ok(
        files.some((f) => f.endsWith('config.json')) &&
          files.some((f) => f.endsWith('metrics.jsonl')) &&
          files.some((f) => f.endsWith('checkpoint.safetensors')),
        files.join(', '),
      );
      for (const f of files) assert.not.ok(readFileSync(f).includes(secret), `${f} holds the password`);
      assert.match(
        readFileSync(join(out, 'config.json'), 'utf8'),
        `"data": "${locked.url}/rows?group=g&consumer=c&end-after-idle=1000"`,
      );
      console.log(`  no password in ${files.length} files of --out nor in ${outputs.length} outputs`);
    } finally {
      await locked.stop();
    }
  });
}

test.run();
