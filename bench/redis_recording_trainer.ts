/**
 * A real `aevb train` for bench/redis_trainers.ts, recording which rows each step trained: the CLI of
 * src/cli/aevb.node.ts run unchanged (the GPU, the training run, its checkpoints and acknowledgements), with
 * Trainer.enqueueMinibatch wrapped to append the row ids of every minibatch to $AEVB_BENCH_LOG. The rows must be
 * u8 rows whose first three bytes are their id (bench/redis_numbered_rows.ts), trained with --no-binarize (the
 * minibatch carries the bytes themselves to the GPU).
 *
 * Run by the bench:  AEVB_BENCH_LOG=FILE node --import tsx bench/redis_recording_trainer.ts train …
 * Log lines, in the format of bench/redis_stand_in_trainer.ts: `R pid step` when a resumed run trains its
 * first step (step: the checkpoint's), `S pid step time-ms id id …` per step.
 */
import { appendFileSync } from 'node:fs';
import { Trainer } from '../src/train/trainer.ts';
import { rowId } from './redis_numbered_rows.ts';
import type { Minibatch } from '../src/stream/minibatch.ts';
import type { StepInputKind } from '../src/stream/step_input.ts';

const log = process.env.AEVB_BENCH_LOG;
if (log === undefined)
  throw new Error('bench/redis_recording_trainer.ts: set AEVB_BENCH_LOG to the file that records the trained rows');
const resumed = process.argv.includes('--resume');
let first = true;
const enqueue = Trainer.prototype.enqueueMinibatch;
Trainer.prototype.enqueueMinibatch = function (this: Trainer, batch: Minibatch, input: StepInputKind): Promise<number> {
  const { batch: B, D } = this.config;
  const step = this.step + 1;
  if (first && resumed) appendFileSync(log, `R ${process.pid} ${step - 1}\n`);
  first = false;
  const ids: number[] = [];
  // u8 rows arrive as their bytes (the GPU scales them); float rows as byte / 255.
  for (let r = 0; r < B; r++) ids.push(rowId(batch.data, r * D, batch.data instanceof Uint8Array ? 1 : 1 / 255));
  appendFileSync(log, `S ${process.pid} ${step} ${Date.now()} ${ids.join(' ')}\n`);
  return enqueue.call(this, batch, input);
};

await import('../src/cli/aevb.node.ts');
