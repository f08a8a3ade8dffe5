// Float64 activations. The backward works from the PRE-activation (unlike the GPU, which works from the kept
// output y), so the two derive the same derivative by independent routes.

export type Activation = 'identity' | 'tanh' | 'relu' | 'softplus' | 'sigmoid';

export const ACTIVATIONS: readonly Activation[] = ['identity', 'tanh', 'relu', 'softplus', 'sigmoid'];

/** Stable logistic: never forms exp of a large positive number. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^−|x|) (the conventions' stable form). */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

export function activateScalar(x: number, act: Activation): number {
  switch (act) {
    case 'identity':
      return x;
    case 'tanh':
      return Math.tanh(x);
    case 'relu':
      return x > 0 ? x : 0;
    case 'softplus':
      return softplus(x);
    case 'sigmoid':
      return sigmoid(x);
  }
}

/** d act / d pre, evaluated at the pre-activation. relu'(0) = 0. */
export function activationDerivative(x: number, act: Activation): number {
  switch (act) {
    case 'identity':
      return 1;
    case 'tanh': {
      const c = Math.cosh(x);
      return 1 / (c * c);
    } // sech², no cancellation near saturation
    case 'relu':
      return x > 0 ? 1 : 0;
    case 'softplus':
      return sigmoid(x);
    case 'sigmoid': {
      const s = sigmoid(x);
      return s * (1 - s);
    }
  }
}

export function activate(pre: ArrayLike<number>, act: Activation): Float64Array {
  const y = new Float64Array(pre.length);
  for (let i = 0; i < pre.length; i++) y[i] = activateScalar(pre[i], act);
  return y;
}

/** dPre = dy ⊙ act'(pre). */
export function activationBackward(pre: ArrayLike<number>, dy: ArrayLike<number>, act: Activation): Float64Array {
  if (pre.length !== dy.length) throw new Error(`activationBackward: ${pre.length} vs ${dy.length}`);
  const dPre = new Float64Array(pre.length);
  for (let i = 0; i < pre.length; i++) dPre[i] = dy[i] * activationDerivative(pre[i], act);
  return dPre;
}
