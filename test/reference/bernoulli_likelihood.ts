// Bernoulli log-likelihood from logits, summed over D: log p(x | l) = Σ_d x·l − softplus(l).
// x may be any value in [0, 1] (the formula is then a cross-entropy, still what the GPU computes).

import { sigmoid, softplus } from './activation.ts';

export function bernoulliLogLikelihood(
  logits: ArrayLike<number>,
  x: ArrayLike<number>,
  B: number,
  D: number,
): Float64Array {
  if (logits.length !== B * D || x.length !== B * D) throw new Error('bernoulliLogLikelihood: bad length');
  const logp = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let d = 0; d < D; d++) {
      const l = logits[b * D + d];
      s += x[b * D + d] * l - softplus(l);
    }
    logp[b] = s;
  }
  return logp;
}

/** ∂(−scale·Σ_b logp_b)/∂logits = scale·(sigmoid(l) − x). */
export function bernoulliLogLikelihoodBackward(
  logits: ArrayLike<number>,
  x: ArrayLike<number>,
  B: number,
  D: number,
  scale: number,
): Float64Array {
  if (logits.length !== B * D || x.length !== B * D) throw new Error('bernoulliLogLikelihoodBackward: bad length');
  const d = new Float64Array(B * D);
  for (let i = 0; i < B * D; i++) d[i] = scale * (sigmoid(logits[i]) - x[i]);
  return d;
}
