// Float64 reference of shaders/iwae_weights.wgsl: per datapoint, the importance-weighted bound over its k rows
// and the normalised weights (a softmax of the log weights), times scale.
export function iwaeWeights(
  logp: ArrayLike<number>,
  kl: ArrayLike<number>,
  B: number,
  k: number,
  scale: number,
): { bound: Float64Array; rowScale: Float64Array } {
  const bound = new Float64Array(B);
  const rowScale = new Float64Array(B * k);
  for (let b = 0; b < B; b++) {
    const logW = Array.from({ length: k }, (_, i) => logp[b * k + i] - kl[b * k + i]);
    const max = Math.max(...logW);
    const total = logW.reduce((s, w) => s + Math.exp(w - max), 0);
    bound[b] = max + Math.log(total / k);
    logW.forEach((w, i) => (rowScale[b * k + i] = (scale * Math.exp(w - max)) / total));
  }
  return { bound, rowScale };
}
