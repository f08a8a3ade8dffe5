// Hand-computed values for the loss pieces.
import { test } from 'uvu';
import { elboMean } from '../reference/elbo_mean.ts';
import { klDivergenceBackward, klDivergenceForward } from '../reference/kl_divergence.ts';
import { assertClose } from '../assert_close.ts';

const tight = { atol: 1e-15, rtol: 1e-15 };

test('elboMean: means of logp, kl and logp − kl', () => {
  const r = elboMean([-10, -20, -30], [1, 2, 6]);
  assertClose([r.elbo, r.kl, r.logp], [-23, 3, -20], { ...tight, label: 'elbo, kl, logp' });
});

test('kl: zero (value and gradient) at μ = 0, log σ² = 0', () => {
  const stats = new Float64Array(3 * 2 * 2); // B=3, Z=2
  assertClose(klDivergenceForward(stats, 3, 2), [0, 0, 0], { atol: 0, rtol: 0, label: 'kl' });
  assertClose(klDivergenceBackward(stats, 3, 2, 1 / 3), new Float64Array(12), { atol: 0, rtol: 0, label: 'dkl' });
});

test('kl: μ = 1, σ² = 2 gives ½(1 + 2 − 1 − ln 2) per latent', () => {
  const stats = [1, -1, Math.log(2), Math.log(2)]; // B=1, Z=2
  assertClose(klDivergenceForward(stats, 1, 2), [2 - Math.log(2)], { ...tight, label: 'kl' });
  // ∂/∂μ = μ, ∂/∂log σ² = ½(σ² − 1) = ½, times scale.
  assertClose(klDivergenceBackward(stats, 1, 2, 0.5), [0.5, -0.5, 0.25, 0.25], { ...tight, label: 'dkl' });
});

test.run();
