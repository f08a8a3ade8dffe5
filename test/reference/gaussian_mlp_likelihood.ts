// Float64 reference of shaders/gaussian_mlp_likelihood.wgsl, from the density of the paper's Gaussian MLP
// decoder: row b of the decoder output is [l | t] (2D values), x_d ~ N(sigmoid(l_d), exp(max(t_d, floor))).

const sigmoid = (l: number) => 1 / (1 + Math.exp(-l));

/** log p(x_b | z_b) per datapoint; `out` is (B, 2D), x is (B, D). */
export function gaussianMlpLogLikelihood(
  out: ArrayLike<number>,
  x: ArrayLike<number>,
  B: number,
  D: number,
  floor: number,
): Float64Array {
  const logp = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < D; d++) {
      const mean = sigmoid(out[b * 2 * D + d]);
      const variance = Math.exp(Math.max(out[b * 2 * D + D + d], floor));
      logp[b] += -0.5 * Math.log(2 * Math.PI * variance) - (x[b * D + d] - mean) ** 2 / (2 * variance);
    }
  }
  return logp;
}

/** ∂(−scale · Σ_b logp_b) w.r.t. the decoder output (B, 2D): the mean logits' half and the log-variances' half. */
export function gaussianMlpLogLikelihoodBackward(
  out: ArrayLike<number>,
  x: ArrayLike<number>,
  B: number,
  D: number,
  floor: number,
  scale: number,
): Float64Array {
  const dOut = new Float64Array(B * 2 * D);
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < D; d++) {
      const mean = sigmoid(out[b * 2 * D + d]);
      const t = out[b * 2 * D + D + d];
      const variance = Math.exp(Math.max(t, floor));
      const r = x[b * D + d] - mean;
      // ∂logp/∂mean = r / variance; ∂mean/∂l = mean (1 − mean); ∂logp/∂log σ² = −½ + r² / (2 variance), and
      // log σ² = max(t, floor) passes it to t only above the floor.
      dOut[b * 2 * D + d] = -scale * (r / variance) * mean * (1 - mean);
      dOut[b * 2 * D + D + d] = t > floor ? -scale * (-0.5 + (r * r) / (2 * variance)) : 0;
    }
  }
  return dOut;
}
