/**
 * Uniform dequantization of 8-bit data (values k/255 read from bytes) and what it means for a likelihood: the
 * values a real-valued model is trained and scored on, and the change of variables back to bits per byte.
 */
import { philoxUniforms } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';

/** Levels of the 8-bit data that dequantization assumes: value v ∈ [0, 1] is the byte round(255 v). */
export const DEQUANTIZATION_LEVELS = 256;

/**
 * Uniform dequantization of 8-bit data, in place: each value v = k/255 (k the byte) becomes (k + u)/256 with
 * u ~ U(0, 1) from `u`, so the values fill [0, 1) with a density whose lower bound, minus D ln 256, bounds
 * the log-probability of the bytes (Theis et al. 2016; see bitsPerDimension). Values not on the 1/255 grid
 * are rounded to it first.
 */
export function dequantizeValues(values: Float32Array, u: ArrayLike<number>): Float32Array {
  const top = DEQUANTIZATION_LEVELS - 1;
  for (let k = 0; k < values.length; k++) values[k] = (Math.round(values[k] * top) + u[k]) / DEQUANTIZATION_LEVELS;
  return values;
}

/** The seed an evaluation set is dequantized with, whatever the run's seed: every run is scored on the same values. */
export const TEST_DEQUANTIZATION_SEED = 12345;

/** A copy of `values` dequantized once with the fixed protocol seed (for test and validation sets). */
export function dequantizeRowsOnce(values: Float32Array, seed = TEST_DEQUANTIZATION_SEED): Float32Array {
  return dequantizeValues(
    Float32Array.from(values),
    philoxUniforms(seed, 0, RANDOM_STREAMS.testDequantization, values.length),
  );
}

/**
 * Bits per dimension of the bytes under a model of their dequantized values: a lower bound L (nats per
 * datapoint, e.g. the ELBO or log p(x) of (k + u)/256) on the density of D values gives
 *   log P(bytes) ≥ L − D ln 256   (change of variables: the unit cube of each byte has volume 256^−D)
 * and this returns −(L − D ln 256) / (D ln 2), an upper bound on the bits per dimension.
 */
export function bitsPerDimension(nats: number, D: number): number {
  return -(nats - D * Math.log(DEQUANTIZATION_LEVELS)) / (D * Math.LN2);
}
