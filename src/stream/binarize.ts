import { map, type OperatorFunction } from 'rxjs';
import { philoxUniforms } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import type { PositionedBatch } from './positioned_batch.ts';

/**
 * Dynamic binarization: every value p ∈ [0, 1] of the batch for step t becomes 1 with probability p, else 0,
 * drawn from Philox(seed, counter = t, binarization stream) — fresh at every step, identical on a replay or a
 * resume. Returns new batches; the input arrays are not modified.
 *
 * @example
 * batches$.pipe(binarize(seed))
 */
export function binarize(seed: number): OperatorFunction<PositionedBatch, PositionedBatch> {
  return map((batch) => {
    const u = philoxUniforms(seed, batch.step, RANDOM_STREAMS.binarization, batch.data.length);
    const data = new Float32Array(batch.data.length);
    for (let k = 0; k < data.length; k++) data[k] = u[k] < batch.data[k] ? 1 : 0;
    return { ...batch, data };
  });
}
