/**
 * Minibatches of an in-memory dataset, reproducibly: epoch e visits the rows in the order of a Philox-seeded
 * permutation (counter = e), and training batches are binarized dynamically — each pixel an independent
 * Bernoulli draw with its grey level as probability, fresh at every step (Philox counter = step). A batch is
 * fully determined by (seed, epoch, index in epoch, step), so a resumed run sees exactly the batches the
 * uninterrupted run would have. The last partial batch of an epoch is dropped.
 */
import { philoxUniforms } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import type { Dataset } from './dataset.ts';
import { binarizeRowsOnce } from './read_rows.ts';

/** The row order of `epoch`: a Fisher–Yates shuffle driven by Philox(seed, epoch, shuffle stream). */
export function epochPermutation(rows: number, seed: number | bigint, epoch: number): Uint32Array {
  const order = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  const u = philoxUniforms(seed, epoch, RANDOM_STREAMS.shuffle, rows);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(u[i] * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

export function batchesPerEpoch(rows: number, B: number): number {
  return Math.floor(rows / B);
}

export interface BatchPosition {
  epoch: number;
  /** Index of the batch within its epoch. */
  index: number;
  /** The training step this batch is for (1-based): its binarization counter. */
  step: number;
}

/** Copies rows `order[first … first+B)` into `out` (B·D floats in [0, 1]), binarized when `binarizeStep` is given. */
export function fillBatch(data: Dataset, order: Uint32Array, first: number, B: number, out: Float32Array, seed: number | bigint, binarizeStep: number | null): void {
  const { D, values, scale } = data;
  const u = binarizeStep === null ? null : philoxUniforms(seed, binarizeStep, RANDOM_STREAMS.binarization, B * D);
  for (let r = 0; r < B; r++) {
    const row = order[first + r] * D;
    for (let d = 0; d < D; d++) {
      const p = values[row + d] * scale;
      out[r * D + d] = u === null ? p : u[r * D + d] < p ? 1 : 0;
    }
  }
}

/**
 * Training minibatches from `start` on, forever (epoch after epoch), each B·D floats, dynamically binarized.
 * The yielded array is reused: consume it before asking for the next.
 */
export function* trainingBatches(data: Dataset, B: number, seed: number | bigint, start: BatchPosition): Generator<{ batch: Float32Array; position: BatchPosition }> {
  const perEpoch = batchesPerEpoch(data.rows, B);
  if (perEpoch === 0) throw new Error(`${data.source}: ${data.rows} rows cannot fill one minibatch of B = ${B}`);
  const batch = new Float32Array(B * data.D);
  let { epoch, index, step } = start;
  for (;;) {
    const order = epochPermutation(data.rows, seed, epoch);
    for (; index < perEpoch; index++, step++) {
      fillBatch(data, order, index * B, B, batch, seed, step);
      yield { batch, position: { epoch, index, step } };
    }
    epoch++;
    index = 0;
  }
}

/** The whole dataset binarized once with a fixed seed (the standard protocol for a test set), rows × D. */
export function binarizeOnce(data: Dataset, seed: number): Float32Array {
  return binarizeRowsOnce(Float32Array.from(data.values, (v) => v * data.scale), seed);
}
