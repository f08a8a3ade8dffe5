// Float64 reference of shaders/decoder_sample.wgsl: x ~ p(x | z) given the decoder output and two standard
// normals (a, b) per value, each as its density's definition states it. Bernoulli: x = 1 with probability
// sigmoid(l), by comparing p with the uniform u = e^{−(a² + b²)/2} (the CDF of χ²₂ = a² + b² is 1 − e^{−c/2}).
// Gaussian: x = μ + σ a.

import type { Likelihood } from '../../src/model/vae_architecture.ts';

const sigmoid = (l: number) => 1 / (1 + Math.exp(-l));

/** x (B, D); `out` is (B, 2D) for 'gaussian', else (B, D); `noise` is (B, 2D) [a … | b …] per row. */
export function decoderSample(
  likelihood: Likelihood,
  out: ArrayLike<number>,
  noise: ArrayLike<number>,
  logVar: ArrayLike<number> | null,
  B: number,
  D: number,
  floor: number,
): Float64Array {
  const x = new Float64Array(B * D);
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < D; d++) {
      const a = noise[b * 2 * D + d];
      const second = noise[b * 2 * D + D + d];
      if (likelihood === 'bernoulli') {
        x[b * D + d] = Math.exp(-0.5 * (a * a + second * second)) < sigmoid(out[b * D + d]) ? 1 : 0;
      } else {
        const [mean, logVariance] =
          likelihood === 'gaussian'
            ? [sigmoid(out[b * 2 * D + d]), out[b * 2 * D + D + d]]
            : [sigmoid(out[b * D + d]), logVar![d]];
        x[b * D + d] = mean + Math.sqrt(Math.exp(Math.max(logVariance, floor))) * a;
      }
    }
  }
  return x;
}
