// gaussianLogLikelihoodBackward (the shared-variance decoder) against central differences of −scale · Σ logp,
// w.r.t. logits and log-variances, with a floor that clamps some log-variances (no value within 1e-3 of it).
import { test } from 'uvu';
import { assertClose } from '../assert_close.ts';
import { seededUniform } from '../seeded_random.ts';
import { gaussianLogLikelihood, gaussianLogLikelihoodBackward } from '../reference/gaussian_likelihood.ts';
import { FD_TOL, numericGradient } from './finite_difference.ts';

test('shared-variance Gaussian decoder: ∂loss/∂logits and ∂loss/∂log σ² match finite differences', () => {
  const [B, D, scale, floor] = [3, 7, 1 / 3, -1.5];
  const logits = seededUniform(41, B * D, -3, 3);
  const x = seededUniform(42, B * D, 0, 1);
  const logVar = seededUniform(43, D, -3, 1);
  if (!logVar.some((v) => v < floor) || logVar.some((v) => Math.abs(v - floor) < 1e-3))
    throw new Error('pick log-variances on both sides of the floor, clear of it');
  const loss = (l: ArrayLike<number>, s: ArrayLike<number>) =>
    -scale * gaussianLogLikelihood(l, x, s, B, D, floor).reduce((a, v) => a + v, 0);
  const { dLogits, dLogVar } = gaussianLogLikelihoodBackward(logits, x, logVar, B, D, floor, scale);
  assertClose(
    dLogits,
    numericGradient((l) => loss(l, logVar), logits),
    { ...FD_TOL, label: 'dLogits' },
  );
  assertClose(
    dLogVar,
    numericGradient((s) => loss(logits, s), logVar),
    { ...FD_TOL, label: 'dLogVar' },
  );
});

test.run();
