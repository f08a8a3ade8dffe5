import { defer, map, type OperatorFunction } from 'rxjs';
import { philoxUniforms } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import { dequantizeValues } from '../data/dequantization.ts';
import type { PositionedBatch } from './positioned_batch.ts';

/**
 * Dynamic uniform dequantization of every minibatch: the noise of the batch for step t comes from
 * Philox(seed, counter = t, dequantization stream) — fresh at every step, identical on a replay or a resume.
 * In place, with one reused buffer of uniforms, as binarize() does.
 *
 * @example
 * batches$.pipe(dequantize(seed))
 */
export function dequantize(seed: number): OperatorFunction<PositionedBatch, PositionedBatch> {
  return (source) => defer(() => {
    let uniforms = new Float64Array(0);
    return source.pipe(map((batch) => {
      if (uniforms.length < batch.data.length) uniforms = new Float64Array(batch.data.length);
      dequantizeValues(batch.data, philoxUniforms(seed, batch.step, RANDOM_STREAMS.dequantization, batch.data.length, uniforms));
      return batch;
    }));
  });
}
