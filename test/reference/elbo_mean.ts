// Minibatch means reported by the trainer: ELBO_b = logp_b − kl_b, in nats per datapoint (higher is better).

export function elboMean(logp: ArrayLike<number>, kl: ArrayLike<number>): { elbo: number; kl: number; logp: number } {
  if (logp.length !== kl.length || logp.length === 0) throw new Error('elboMean: lengths must match and be > 0');
  const B = logp.length;
  let sl = 0;
  let sk = 0;
  for (let b = 0; b < B; b++) {
    sl += logp[b];
    sk += kl[b];
  }
  return { elbo: (sl - sk) / B, kl: sk / B, logp: sl / B };
}
