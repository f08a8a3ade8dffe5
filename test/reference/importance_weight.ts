// Float64 reference of shaders/importance_weight.wgsl, from the densities themselves (not the cancelled form
// the kernel uses): log w = log p(x|z) + log N(z; 0, I) − log N(z; μ, σ²), and log p(x) ≈ logsumexp_k(log w) − log k.
// Evaluation only: nothing is differentiated through it.

const LOG_2PI = Math.log(2 * Math.PI);

/** log w per datapoint for one sample. */
export function logImportanceWeight(
  logp: ArrayLike<number>,
  z: ArrayLike<number>,
  stats: ArrayLike<number>,
  B: number,
  Z: number,
): Float64Array {
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let logPz = 0;
    let logQz = 0;
    for (let j = 0; j < Z; j++) {
      const zj = z[b * Z + j];
      const mu = stats[b * 2 * Z + j];
      const logVar = stats[b * 2 * Z + Z + j];
      logPz += -0.5 * (LOG_2PI + zj * zj);
      logQz += -0.5 * (LOG_2PI + logVar + ((zj - mu) * (zj - mu)) / Math.exp(logVar));
    }
    out[b] = logp[b] + logPz - logQz;
  }
  return out;
}

/** log (1/k Σ_s exp(w[s][b])) per datapoint, from k arrays of log weights. */
export function logMeanExp(weights: Float64Array[], B: number): Float64Array {
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let max = -Infinity;
    for (const w of weights) max = Math.max(max, w[b]);
    let sum = 0;
    for (const w of weights) sum += Math.exp(w[b] - max);
    out[b] = max + Math.log(sum) - Math.log(weights.length);
  }
  return out;
}
