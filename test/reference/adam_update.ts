// One Adam step in place, PyTorch's arrangement of the bias corrections (eps added after un-biasing v):
//   m = β1 m + (1 − β1) g;  v = β2 v + (1 − β2) g²;  θ −= lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps)
// with g = grad + wd·θ (coupled L2, not AdamW) and t ≥ 1 the 1-based step number.

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay?: number;
  step: number;
}

export function adamUpdate(
  params: Float64Array,
  grads: ArrayLike<number>,
  m: Float64Array,
  v: Float64Array,
  opts: AdamOptions,
): void {
  const n = params.length;
  if (grads.length !== n || m.length !== n || v.length !== n) throw new Error('adamUpdate: length mismatch');
  if (!Number.isInteger(opts.step) || opts.step < 1)
    throw new Error(`adamUpdate: step must be an integer ≥ 1, got ${opts.step}`);
  const { lr, beta1, beta2, eps, step } = opts;
  const wd = opts.weightDecay ?? 0;
  const bc1 = 1 - Math.pow(beta1, step);
  const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, step));
  const stepSize = lr / bc1;
  for (let i = 0; i < n; i++) {
    const g = grads[i] + wd * params[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    params[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtBc2 + eps);
  }
}
