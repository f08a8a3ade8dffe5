import { defer, map, type OperatorFunction } from 'rxjs';
import { philoxUniforms } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import type { PositionedBatch } from './positioned_batch.ts';
import { firstNonFiniteIndex } from '../train/non_finite_error.ts';

/**
 * Dynamic binarization: every value p ∈ [0, 1] of the batch for step t becomes 1 with probability p, else 0,
 * drawn from Philox(seed, counter = t, binarization stream) — fresh at every step, identical on a replay or a
 * resume. The batch's array is binarized in place (a minibatch belongs to the stream that made it), and the
 * uniforms are drawn into one reused buffer: a long run makes no garbage here.
 *
 * @example
 * batches$.pipe(binarize(seed))
 */
export function binarize(seed: number): OperatorFunction<PositionedBatch, PositionedBatch> {
  return (source) => defer(() => {
    let uniforms = new Float64Array(0);
    return source.pipe(map((batch) => {
      if (uniforms.length < batch.data.length) uniforms = new Float64Array(batch.data.length);
      const u = philoxUniforms(seed, batch.step, RANDOM_STREAMS.binarization, batch.data.length, uniforms);
      const data = batch.data;
      // Binarizing would make NaN a 0 and ±Inf a 1 or 0 without a word: such a batch goes on as it is, and the
      // trainer refuses it in its turn (after the batches before it), naming its step.
      if (firstNonFiniteIndex(data) >= 0) return batch;
      for (let k = 0; k < data.length; k++) data[k] = u[k] < data[k] ? 1 : 0;
      return batch;
    }));
  });
}
