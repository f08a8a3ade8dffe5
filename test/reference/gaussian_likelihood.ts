// Float64 reference of shaders/gaussian_likelihood.wgsl (the shared-variance Gaussian decoder), from the
// density: x_d ~ N(sigmoid(l_d), exp(max(v_d, floor))).

const sigmoid = (l: number) => 1 / (1 + Math.exp(-l));

/** log p(x_b | z_b) per datapoint. */
export function gaussianLogLikelihood(
  logits: ArrayLike<number>,
  x: ArrayLike<number>,
  logVar: ArrayLike<number>,
  B: number,
  D: number,
  floor: number,
): Float64Array {
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < D; d++) {
      const mean = sigmoid(logits[b * D + d]);
      const variance = Math.exp(Math.max(logVar[d], floor));
      out[b] += -0.5 * Math.log(2 * Math.PI * variance) - (x[b * D + d] - mean) ** 2 / (2 * variance);
    }
  }
  return out;
}

/** ∂(−scale · Σ_b logp_b) w.r.t. the logits (B, D) and the log-variances (D, summed over the batch; 0 at or below the floor). */
export function gaussianLogLikelihoodBackward(
  logits: ArrayLike<number>,
  x: ArrayLike<number>,
  logVar: ArrayLike<number>,
  B: number,
  D: number,
  floor: number,
  scale: number,
): { dLogits: Float64Array; dLogVar: Float64Array } {
  const dLogits = new Float64Array(B * D);
  const dLogVar = new Float64Array(D);
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < D; d++) {
      const mean = sigmoid(logits[b * D + d]);
      const variance = Math.exp(Math.max(logVar[d], floor));
      const r = x[b * D + d] - mean;
      // ∂logp/∂mean = r / variance; ∂mean/∂l = mean (1 − mean); ∂logp/∂s = −½ + r² / (2 variance).
      dLogits[b * D + d] = -scale * (r / variance) * mean * (1 - mean);
      if (logVar[d] > floor) dLogVar[d] += -scale * (-0.5 + (r * r) / (2 * variance)); // the floor passes no gradient
    }
  }
  return { dLogits, dLogVar };
}
