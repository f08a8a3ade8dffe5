// One Adagrad step in place (Duchi et al. 2011, the paper's optimiser): h += g_eff²; θ −= lr·g_eff / (√h + eps),
// with g_eff = g + wd·θ (coupled L2).

export interface AdagradOptions {
  lr: number;
  eps: number;
  weightDecay?: number;
}

export function adagradUpdate(
  params: Float64Array,
  grads: ArrayLike<number>,
  h: Float64Array,
  opts: AdagradOptions,
): void {
  if (params.length !== grads.length || params.length !== h.length) throw new Error('adagradUpdate: length mismatch');
  const wd = opts.weightDecay ?? 0;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i] + wd * params[i];
    h[i] += g * g;
    params[i] -= (opts.lr * g) / (Math.sqrt(h[i]) + opts.eps);
  }
}
