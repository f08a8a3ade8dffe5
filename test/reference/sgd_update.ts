// One SGD step in place. The L2 term (a Gaussian prior on θ) is coupled into the gradient: g_eff = g + wd·θ.

export interface SgdOptions {
  lr: number;
  weightDecay?: number;
}

export function sgdUpdate(params: Float64Array, grads: ArrayLike<number>, opts: SgdOptions): void {
  if (params.length !== grads.length) throw new Error('sgdUpdate: length mismatch');
  const wd = opts.weightDecay ?? 0;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i] + wd * params[i];
    params[i] -= opts.lr * g;
  }
}
