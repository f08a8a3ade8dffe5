/**
 * The simulation of issue 15 with real trainers, on one machine against a real redis-server (started here on a
 * free port, no persistence, stopped at the end): a producer publishes numbered rows (bench/redis_numbered_rows.ts,
 * 10 rows per entry) to a stream, and N = 1, 2, 4 trainers of one consumer group train on it. Trainers 0 and 1
 * are REAL `aevb train --data redis://…` processes (the CLI on the WebGPU adapter, lavapipe here, recording the
 * rows of each step: bench/redis_recording_trainer.ts); trainers 2 and 3 are stand-ins with a fixed step time
 * (bench/redis_stand_in_trainer.ts). Trainer 0 is killed with kill -9 past its first checkpoint and restarted
 * with `--resume DIR` under the same consumer name; for N ≥ 2 trainer 1 is killed for good, so its pending
 * entries must be claimed by the others (claim-after shorter than end-after-idle).
 *
 * Reported per N: rows published; rows lost (must be 0: a published row that is neither in a checkpointed step
 * of some trainer nor in an entry still pending); rows trained twice (in checkpointed steps of two trainers, or
 * two incarnations); rows pending at the end (delivered, never acknowledged: the last partial minibatch a real
 * trainer drops stays pending for the next run; in brackets the pending rows no checkpoint holds); rows/s (distinct rows in checkpointed steps ÷ time from the
 * first step to the last, the kill and restart included, less the end-after-idle wait that ends a pass; and before the kill: rows trained by all trainers
 * from the first step to the kill, the N trainers at work); recovery (kill → the restarted trainer's first step,
 * node's and the GPU's start-up included).
 *
 * Run:  node --import tsx bench/redis_trainers.ts [--quick] [--n N]   (--quick: fewer rows, under a minute;
 *       --n: only N trainers)
 * Numbers are for comparison within one run on one machine (shared, noisy); never used as test assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { publishRows } from '../src/data/redis/publish.node.ts';
import { decodeEntry } from '../src/data/redis/entry.ts';
import { readCheckpoint } from '../src/io/checkpoint.node.ts';
import { startRedisServer } from '../test/servers/redis_server.ts';
import { numberedRows, parseTrainedLog, rowId } from './redis_numbered_rows.ts';

const quick = process.argv.includes('--quick');
const D = 784;
/** Rows published for N trainers: enough for each real trainer to pass its kill step with N sharing the stream. */
const rowsFor = (N: number) => (quick ? 3000 : 10_000) * N;
/** The real trainers' model and run: small, so lavapipe keeps up on a 2-core machine. */
const REAL_FLAGS = [
  '--hidden',
  '64',
  '--latent',
  '8',
  '--batch',
  '50',
  '--checkpoint-every',
  '20',
  '--shuffle-window',
  '500',
  '--no-binarize',
  '--metrics-every',
  '50',
];
/** Stand-ins: the same minibatch, window and checkpoints; a step time near the real trainers'. */
const STAND_IN = { stepMs: 25, B: 50, W: 500, K: 20 };
const CLAIM_AFTER_MS = 3000;
const END_AFTER_IDLE_MS = 5000;
/** Steps a trainer takes before it is killed: past its first checkpoint (step 20), 5 steps unsaved. */
const KILL_AT_STEP = 25;
const recorder = fileURLToPath(new URL('./redis_recording_trainer.ts', import.meta.url));
const standIn = fileURLToPath(new URL('./redis_stand_in_trainer.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const server = await startRedisServer();
const admin = new Redis(server.url, { protocol: 2 });
console.log(
  `redis-server ${(await admin.info('server')).match(/redis_version:(\S+)/)?.[1]} on ${server.url}; ${quick ? 'quick run' : 'full run'}`,
);
console.log(
  `${rowsFor(1)}·N rows of ${D} u8 (10 per entry), published before the trainers start (stand-ins start once the real ones train); real trainers: aevb train ${REAL_FLAGS.join(' ')}; stand-ins: ${STAND_IN.stepMs} ms steps of ${STAND_IN.B} rows`,
);
console.log(
  `claim-after ${CLAIM_AFTER_MS} ms, end-after-idle ${END_AFTER_IDLE_MS} ms; trainer 0 (real) killed -9 at step ≥ ${KILL_AT_STEP} and resumed; trainer 1 (real, N ≥ 2) killed for good at step ≥ ${KILL_AT_STEP}\n`,
);
console.log(
  'N | real+stand-in | published | lost | trained twice | pending at end (untrained) | dead-lettered | rows/s | rows/s before kill | recovery (s) | rows per trainer',
);
try {
  const only = process.argv.indexOf('--n');
  for (const N of only > 0 ? [Number(process.argv[only + 1])] : [1, 2, 4]) console.log(await simulate(N));
} finally {
  admin.disconnect();
  await server.stop();
}

async function simulate(N: number): Promise<string> {
  const stream = `sim-${N}`;
  const root = mkdtempSync(join(tmpdir(), `aevb-redis-trainers-${N}-`));
  const url = (i: number) =>
    `${server.url}/${stream}?group=train&consumer=trainer-${i}&block=200&claim-after=${CLAIM_AFTER_MS}&end-after-idle=${END_AFTER_IDLE_MS}`;
  const dirs = Array.from({ length: N }, (_, i) => join(root, `trainer-${i}`));
  const logOf = (i: number) => join(dirs[i], 'trained.log');
  const real = (i: number) => i < 2;
  const start = (i: number, resume: boolean): ChildProcess => {
    mkdirSync(dirs[i], { recursive: true });
    const args = real(i)
      ? [recorder, 'train', '--data', url(i), ...(resume ? ['--resume', dirs[i]] : [...REAL_FLAGS, '--out', dirs[i]])]
      : [standIn, url(i), dirs[i], ...[STAND_IN.stepMs, STAND_IN.B, STAND_IN.W, STAND_IN.K].map(String)];
    const output = openSync(join(dirs[i], 'output.txt'), 'a');
    return spawn(process.execPath, ['--import', 'tsx', ...args], {
      stdio: ['ignore', output, output],
      env: { ...process.env, AEVB_BENCH_LOG: logOf(i) },
    });
  };
  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => c.once('exit', () => r()));
  const lines = (i: number) => (existsSync(logOf(i)) ? readFileSync(logOf(i), 'utf8').split('\n') : []);
  const steps = (i: number) => lines(i).filter((l) => l.startsWith('S ')).length;
  /** Waits (at most 120 s) until trainer i has logged `n` steps, or has exited. */
  const untilSteps = async (i: number, n: number) => {
    for (let t = 0; t < 2400 && steps(i) < n && children[i].exitCode === null; t++) await sleep(50);
    if (steps(i) < n)
      throw new Error(
        `trainer ${i} exited after ${steps(i)} steps, before step ${n}: make the stream longer. Its output:\n${readFileSync(join(dirs[i], 'output.txt'), 'utf8')}`,
      );
  };

  // The real trainers need a few seconds to start (node, the GPU): the stand-ins wait for them, or they
  // would have trained most of the stream alone.
  const ROWS = rowsFor(N);
  const published = await publishRows(numberedRows(ROWS, D), `${server.url}/${stream}`, { packRows: 10 });
  await admin.call('XGROUP', 'CREATE', stream, 'train', '0');
  const children = dirs.filter((_, i) => real(i)).map((_, i) => start(i, false));
  for (let i = 0; i < children.length; i++) await untilSteps(i, 1);
  for (let i = 2; i < N; i++) children.push(start(i, false));
  await untilSteps(0, KILL_AT_STEP);
  children[0].kill('SIGKILL');
  const killedAt = performance.now();
  const killedAtClock = Date.now();
  await exited(children[0]);
  if (N >= 2) {
    await untilSteps(1, KILL_AT_STEP);
    children[1].kill('SIGKILL');
  }
  children[0] = start(0, true);
  const restarted = children[0].pid;
  for (
    let t = 0;
    t < 2400 && !lines(0).some((l) => l.startsWith(`S ${restarted} `)) && children[0].exitCode === null;
    t++
  )
    await sleep(25);
  const recovery = (performance.now() - killedAt) / 1000;
  await Promise.all(children.map(exited));
  for (const [i, c] of children.entries())
    if (c.exitCode !== 0 && c.signalCode === null) throw new Error(`trainer ${i} failed with exit code ${c.exitCode}`);

  // Which rows made it into a saved model: a resumed incarnation discards the steps after its checkpoint; a
  // trainer killed for good keeps only the steps up to its last checkpoint.
  const counts = new Uint32Array(ROWS);
  const perTrainer: number[] = [];
  let firstStep = Infinity;
  let lastStep = 0;
  let rowsBeforeKill = 0;
  for (let i = 0; i < N; i++) {
    const { valid, taken } = parseTrainedLog(lines(i));
    for (const { time, rows } of taken) {
      firstStep = Math.min(firstStep, time);
      lastStep = Math.max(lastStep, time);
      if (time <= killedAtClock) rowsBeforeKill += rows;
    }
    const checkpointed = real(i)
      ? readCheckpoint(dirs[i]).snapshot.step
      : (JSON.parse(readFileSync(join(dirs[i], 'checkpoint.json'), 'utf8')) as { step: number }).step;
    let rows = 0;
    for (const { step, ids } of valid) {
      if (step > checkpointed) continue;
      rows += ids.length;
      for (const id of ids) counts[id]++;
    }
    perTrainer.push(rows);
  }
  const pendingRows = await rowsPending(stream);
  let lost = 0;
  let twice = 0;
  let trained = 0;
  let pendingUntrained = 0;
  for (const id of pendingRows) if (counts[id] === 0) pendingUntrained++;
  for (let id = 0; id < ROWS; id++) {
    const c = counts[id];
    if (c > 0) trained++;
    else if (!pendingRows.has(id)) lost++;
    if (c > 1) twice += c - 1;
  }
  const dead = Number(await admin.call('XLEN', `{${stream}}:dead`));
  const rate = trained / ((lastStep - firstStep - END_AFTER_IDLE_MS) / 1000);
  const rateBeforeKill = rowsBeforeKill / ((killedAtClock - firstStep) / 1000);
  const kinds = `${Math.min(N, 2)}+${Math.max(0, N - 2)}`;
  const byConsumer =
    ((await admin.xpending(stream, 'train')) as [number, string, string, Array<[string, string]> | null])[3] ?? [];
  const holders =
    byConsumer.length === 0 ? '' : ` (entries pending: ${byConsumer.map(([c, n]) => `${c} ${n}`).join(', ')})`;
  return `${N} | ${kinds.padStart(13)} | ${String(published.rows).padStart(9)} | ${String(lost).padStart(4)} | ${String(twice).padStart(13)} | ${`${pendingRows.size} (${pendingUntrained})`.padStart(14)} | ${String(dead).padStart(13)} | ${rate.toFixed(0).padStart(6)} | ${rateBeforeKill.toFixed(0).padStart(17)} | ${recovery.toFixed(2).padStart(12)} | ${perTrainer.join(', ')}${holders}`;
}

/** The ids of the rows in entries still pending (delivered to some consumer, never acknowledged). */
async function rowsPending(stream: string): Promise<Set<number>> {
  const pending = (await admin.xpending(stream, 'train', '-', '+', 100_000)) as Array<[string, string, number, number]>;
  const ids = new Set<number>();
  for (const [id] of pending) {
    const [[entryId, fields]] = (await admin.xrangeBuffer(stream, id, id)) as Array<[Buffer, Buffer[]]>;
    const block = decodeEntry(stream, entryId.toString(), fields, D);
    for (let r = 0; r < block.rows; r++) ids.add(rowId(block.values, r * D));
  }
  return ids;
}
