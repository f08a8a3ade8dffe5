// bernoulliLogLikelihoodBackward against central differences of −scale·Σ_b logp_b, with non-binary x in [0, 1].
import { test } from 'uvu';
import { bernoulliLogLikelihood, bernoulliLogLikelihoodBackward } from '../reference/bernoulli_likelihood.ts';
import { assertClose } from '../assert_close.ts';
import { seededNormal, seededUniform } from '../seeded_random.ts';
import { contract, FD_TOL, numericGradient } from './finite_difference.ts';

const B = 3;
const D = 7;

test('bernoulli: backward matches finite differences', () => {
  const logits = seededNormal(61, B * D, 3);
  const x = seededUniform(62, B * D, 0, 1);
  const scale = 1 / B;
  const w = new Float64Array(B).fill(-scale);
  const numeric = numericGradient((t) => contract(w, bernoulliLogLikelihood(t, x, B, D)), logits);
  assertClose(bernoulliLogLikelihoodBackward(logits, x, B, D, scale), numeric, { ...FD_TOL, label: 'dLogits' });
});

test('bernoulli: matches x·log σ(l) + (1−x)·log(1−σ(l)) where that is safe, and stays finite where it is not', () => {
  const logits = [-2, 0.5, 3];
  const x = [0, 1, 0.25];
  const sig = (l: number) => 1 / (1 + Math.exp(-l));
  let naive = 0;
  for (let i = 0; i < 3; i++) naive += x[i] * Math.log(sig(logits[i])) + (1 - x[i]) * Math.log(1 - sig(logits[i]));
  assertClose(bernoulliLogLikelihood(logits, x, 1, 3), [naive], { atol: 1e-14, rtol: 1e-14, label: 'logp' });
  // l = −800, x = 1: log σ(l) underflows to −Infinity naively; the stable form gives exactly −800.
  assertClose(bernoulliLogLikelihood([-800], [1], 1, 1), [-800], { atol: 0, rtol: 1e-15, label: 'far tail' });
});

test.run();
