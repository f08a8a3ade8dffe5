// The IWAE weights are the gradient of the bound: scale · ∂(Σ_b bound_b)/∂log w_i = rowScale_i, checked
// against central differences (the identity the IWAE backward pass rests on).
import { test } from 'uvu';
import { assertClose } from '../assert_close.ts';
import { seededUniform } from '../seeded_random.ts';
import { iwaeWeights } from '../reference/iwae_weights.ts';
import { FD_TOL, numericGradient } from './finite_difference.ts';

test('rowScale = scale · ∂ Σ bound / ∂ logp (and = −that w.r.t. kl)', () => {
  const [B, k, scale] = [3, 4, 1 / 3];
  const logp = seededUniform(51, B * k, -12, -8);
  const kl = seededUniform(52, B * k, 0, 3);
  const { rowScale } = iwaeWeights(logp, kl, B, k, scale);
  const total = (lp: ArrayLike<number>, q: ArrayLike<number>) =>
    scale * iwaeWeights(lp, q, B, k, scale).bound.reduce((s, v) => s + v, 0);
  assertClose(
    rowScale,
    numericGradient((lp) => total(lp, kl), logp),
    { ...FD_TOL, label: '∂/∂logp' },
  );
  assertClose(
    rowScale.map((v) => -v),
    numericGradient((q) => total(logp, q), kl),
    { ...FD_TOL, label: '∂/∂kl' },
  );
});

test.run();
