/**
 * A stand-in trainer for bench/redis_stream.ts: a separate process (so it can be killed with kill -9) that
 * reads a Redis stream through RedisStreamSource exactly as a training run would — a shuffle window of W rows,
 * minibatches of B, a fixed step time instead of a GPU step, a checkpoint every K steps written atomically and
 * then acknowledged — and logs which rows each step trained, for the bench to count rows lost or trained twice.
 *
 * The window keeps each resident row's delivery number, so the low-water mark a checkpoint hands the source
 * is exact: the smallest number still waiting, or all rows delivered when none wait (acknowledging_source.ts).
 *
 * Run by the bench:  node --import tsx bench/redis_stand_in_trainer.ts URL DIR STEP_MS B W K [--resume]
 * Log lines (DIR/trained.log): `S incarnation step time-ms id id …` per step, `R incarnation step` on resume.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redisSource } from '../src/data/redis/source.node.ts';
import type { CheckpointedRows } from '../src/data/acknowledging_source.ts';

const [url, dir, stepMsText, bText, wText, kText] = process.argv.slice(2);
const resume = process.argv.includes('--resume');
const [stepMs, B, W, K] = [stepMsText, bText, wText, kText].map(Number);
const incarnation = process.pid;
const log = join(dir, 'trained.log');
const checkpointFile = join(dir, 'checkpoint.json');

const source = redisSource(url);
let step = 0;
if (resume && existsSync(checkpointFile)) {
  const checkpoint = JSON.parse(readFileSync(checkpointFile, 'utf8')) as { step: number; state: CheckpointedRows };
  await source.resumeFrom(checkpoint.state);
  step = checkpoint.step;
  appendFileSync(log, `R ${incarnation} ${step}\n`);
}

/** Rows waiting: their ids (the first 3 bytes of a row) and delivery numbers. */
const ids: number[] = [];
const numbers: number[] = [];
let delivered = 0;
let state = 0x9e3779b9;
const random = () => {
  state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
  return state / 2 ** 32;
};

async function train(count: number): Promise<void> {
  const batch: number[] = [];
  for (let i = 0; i < count; i++) {
    const j = Math.floor(random() * ids.length);
    batch.push(ids[j]);
    ids[j] = ids[ids.length - 1];
    numbers[j] = numbers[numbers.length - 1];
    ids.pop();
    numbers.pop();
  }
  await new Promise((r) => setTimeout(r, stepMs)); // the GPU step
  step++;
  appendFileSync(log, `S ${incarnation} ${step} ${Date.now()} ${batch.join(' ')}\n`);
  if (step % K === 0) await checkpoint();
}

async function checkpoint(): Promise<void> {
  let lowWater = delivered;
  for (const n of numbers) lowWater = Math.min(lowWater, n);
  const saved: CheckpointedRows = { rowsConsumed: lowWater, source: source.checkpointState(lowWater) };
  writeFileSync(`${checkpointFile}.tmp`, JSON.stringify({ step, state: saved }));
  renameSync(`${checkpointFile}.tmp`, checkpointFile);
  await source.checkpointed(saved);
}

for await (const block of source.open()) {
  for (let r = 0; r < block.rows; r++) {
    const v = block.values;
    ids.push(v[r * block.D] | (v[r * block.D + 1] << 8) | (v[r * block.D + 2] << 16));
    numbers.push(delivered++);
  }
  while (ids.length >= W + B) await train(B);
}
// The stream went idle: the window empties into the last minibatches, then a final checkpoint.
while (ids.length > 0) await train(Math.min(B, ids.length));
await checkpoint();
await source.close();
