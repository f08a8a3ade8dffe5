/**
 * Row-exact acknowledgement (issue 21, item 2) with real processes, on one machine against a real redis-server
 * (started here on a free port, no persistence): a producer publishes numbered rows (bench/redis_numbered_rows.ts)
 * packed `pack` rows per entry, and a REAL `aevb train --data redis://…` (bench/redis_recording_trainer.ts: the
 * CLI unchanged, recording the rows of every step) trains them.
 *
 *   kill cases: the trainer is killed with kill -9 between two checkpoints, then resumed with `--resume DIR`
 *               under the same consumer name and trains to the stream's end (end-after-idle).
 *   stop case:  `--shuffle-window 500 --samples 2000` on a 3 000-row stream (the issue's), no crash.
 *
 * Reported per case: rows published; rows trained twice, counting every step any incarnation took (the killed
 * one's lost steps included), against the bound — the rows the killed trainer trained after its last checkpoint
 * (0 without a crash); the rows the coarse acknowledgement (an entry only once all its rows are in a checkpoint)
 * would have trained again on resume: the checkpoint's rows whose entry it did not hold whole; rows twice in the
 * final model (steps that stand: the resumed incarnation discards the killed one's steps after its checkpoint);
 * rows lost (neither in a step that stands nor in an entry still pending: must be 0); entries pending after the
 * final checkpoint, and how many of those have every row in the model (must be 0); bitmaps left in the
 * trained-rows hash. The killed trainer's checkpointed rows that the resumed one trained again must be 0.
 *
 * Run:  node --import tsx bench/redis_row_exact.ts [--quick]
 * Numbers are for one run on one machine; never used as test assertions (test/redis_training_run.test.ts asserts
 * the bound).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { publishRows } from '../src/data/redis/publish.node.ts';
import { decodeEntry } from '../src/data/redis/entry.ts';
import { trainedKeyOf } from '../src/data/redis/source.node.ts';
import { readCheckpoint } from '../src/io/checkpoint.node.ts';
import { startRedisServer } from '../test/servers/redis_server.ts';
import { numberedRows, rowId } from './redis_numbered_rows.ts';

const quick = process.argv.includes('--quick');
const D = 784;
const MODEL = ['--hidden', '64', '--latent', '8', '--batch', '50', '--no-binarize', '--metrics-every', '50'];
const END_AFTER_IDLE_MS = 3000;
const recorder = fileURLToPath(new URL('./redis_recording_trainer.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Case {
  name: string;
  rows: number;
  pack: number;
  flags: string[];
  /** Kill -9 once the trainer has logged this many steps (null: no kill). */
  killAt: number | null;
}

const CASES: Case[] = [
  {
    name: 'kill -9 at step 125, window 5 000, checkpoint every 50',
    rows: quick ? 10_000 : 20_000,
    pack: 100,
    flags: ['--shuffle-window', '5000', '--checkpoint-every', '50'],
    killAt: 125,
  },
  {
    name: 'kill -9 at step 1 200, default window (60 000), checkpoint every 500',
    rows: quick ? 80_000 : 100_000,
    pack: 100,
    flags: ['--checkpoint-every', '500'],
    killAt: 1200,
  },
  {
    name: '--shuffle-window 500 --samples 2000, no crash',
    rows: 3000,
    pack: 100,
    flags: ['--shuffle-window', '500', '--samples', '2000'],
    killAt: null,
  },
];

const server = await startRedisServer();
const admin = new Redis(server.url, { protocol: 2 });
console.log(
  `redis-server ${(await admin.info('server')).match(/redis_version:(\S+)/)?.[1]} on ${server.url}; real trainers: aevb train ${MODEL.join(' ')}; end-after-idle ${END_AFTER_IDLE_MS} ms\n`,
);
console.log(
  'case | published | trained twice (≤ bound) | coarse would retrain | checkpointed rows retrained | twice in model | lost | pending entries after final checkpoint (all rows trained) | bitmaps left',
);
try {
  for (const c of CASES) console.log(await measure(c));
} finally {
  admin.disconnect();
  await server.stop();
}

async function measure(c: Case): Promise<string> {
  const stream = `row-exact-${c.rows}-${c.killAt ?? 'stop'}`;
  const dir = mkdtempSync(join(tmpdir(), 'aevb-row-exact-'));
  const log = join(dir, 'trained.log');
  const url = `${server.url}/${stream}?group=train&consumer=trainer&block=200&end-after-idle=${END_AFTER_IDLE_MS}`;
  const start = (resume: boolean): ChildProcess => {
    mkdirSync(dir, { recursive: true });
    const args = [
      recorder,
      'train',
      '--data',
      url,
      ...(resume ? ['--resume', dir] : [...MODEL, ...c.flags, '--out', dir]),
    ];
    const output = openSync(join(dir, 'output.txt'), 'a');
    return spawn(process.execPath, ['--import', 'tsx', ...args], {
      stdio: ['ignore', output, output],
      env: { ...process.env, AEVB_BENCH_LOG: log },
    });
  };
  const exited = (p: ChildProcess) =>
    p.exitCode !== null || p.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => p.once('exit', () => r()));
  const lines = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n') : []);
  const steps = () => lines().filter((l) => l.startsWith('S ')).length;

  const published = await publishRows(numberedRows(c.rows, D), `${server.url}/${stream}`, { packRows: c.pack });
  let trainer = start(false);
  if (c.killAt !== null) {
    for (let t = 0; t < 12_000 && steps() < c.killAt && trainer.exitCode === null; t++) await sleep(50);
    if (steps() < c.killAt)
      throw new Error(
        `${c.name}: the trainer exited after ${steps()} steps:\n${readFileSync(join(dir, 'output.txt'), 'utf8')}`,
      );
    trainer.kill('SIGKILL');
    await exited(trainer);
    trainer = start(true);
  }
  await exited(trainer);
  if (trainer.exitCode !== 0)
    throw new Error(
      `${c.name}: the trainer failed (${trainer.exitCode}):\n${readFileSync(join(dir, 'output.txt'), 'utf8')}`,
    );

  // Every step taken, by incarnation; the resume's R line names the checkpoint it continued from.
  const taken: { pid: string; step: number; ids: number[] }[] = [];
  let resumedAt: number | null = null;
  for (const line of lines()) {
    const parts = line.split(' ');
    if (parts[0] === 'R') resumedAt = Number(parts[2]);
    else if (parts[0] === 'S' && parts.length > 4)
      taken.push({ pid: parts[1], step: Number(parts[2]), ids: parts.slice(4).map(Number) });
  }
  const killedPid = c.killAt === null ? null : taken[0].pid;
  const counts = new Uint32Array(c.rows);
  for (const { ids } of taken) for (const id of ids) counts[id]++;
  let twice = 0;
  for (const n of counts) if (n > 1) twice += n - 1;
  const lostSteps = taken.filter((s) => s.pid === killedPid && s.step > (resumedAt ?? Infinity));
  const bound = lostSteps.reduce((n, s) => n + s.ids.length, 0);
  const standing = taken.filter((s) => !lostSteps.includes(s) && s.step <= readCheckpoint(dir).snapshot.step);
  const inModel = new Uint32Array(c.rows);
  for (const { ids } of standing) for (const id of ids) inModel[id]++;
  let twiceInModel = 0;
  for (const n of inModel) if (n > 1) twiceInModel += n - 1;
  // The coarse acknowledgement: on resume, the killed trainer's checkpointed rows of entries it did not hold whole.
  let coarse = 0;
  if (killedPid !== null) {
    const held = new Uint8Array(c.rows);
    for (const s of taken) if (s.pid === killedPid && s.step <= resumedAt!) for (const id of s.ids) held[id] = 1;
    for (let e = 0; e * c.pack < c.rows; e++) {
      const rows = Array.from({ length: Math.min(c.pack, c.rows - e * c.pack) }, (_, k) => e * c.pack + k);
      if (!rows.every((r) => held[r])) coarse += rows.filter((r) => held[r]).length;
    }
  }
  // Pending entries after the final checkpoint, and their rows.
  const pending = (await admin.xpending(stream, 'train', '-', '+', 100_000)) as Array<[string, string, number, number]>;
  const pendingRows = new Set<number>();
  let pendingDone = 0;
  for (const [id] of pending) {
    const [[entryId, fields]] = (await admin.xrangeBuffer(stream, id, id)) as Array<[Buffer, Buffer[]]>;
    const block = decodeEntry(stream, entryId.toString(), fields, D);
    let all = true;
    for (let r = 0; r < block.rows; r++) {
      const row = rowId(block.values, r * D);
      pendingRows.add(row);
      if (inModel[row] === 0) all = false;
    }
    if (all) pendingDone++;
  }
  let lost = 0;
  for (let id = 0; id < c.rows; id++) if (inModel[id] === 0 && !pendingRows.has(id)) lost++;
  const bitmaps = Number(await admin.hlen(trainedKeyOf(stream, 'train')));
  return `${c.name} | ${published.rows} | ${twice} (≤ ${bound}) | ${coarse} | ${retrained(taken, killedPid, resumedAt, c.rows)} | ${twiceInModel} | ${lost} | ${pending.length} (${pendingDone}) | ${bitmaps}`;
}

/** Rows of the killed trainer's last checkpoint that the resumed incarnation trained again (row-exact: none). */
function retrained(
  taken: { pid: string; step: number; ids: number[] }[],
  killedPid: string | null,
  resumedAt: number | null,
  rows: number,
): number {
  if (killedPid === null) return 0;
  const held = new Uint8Array(rows);
  for (const s of taken) if (s.pid === killedPid && s.step <= resumedAt!) for (const id of s.ids) held[id] = 1;
  let n = 0;
  for (const s of taken) if (s.pid !== killedPid) for (const id of s.ids) if (held[id]) n++;
  return n;
}
