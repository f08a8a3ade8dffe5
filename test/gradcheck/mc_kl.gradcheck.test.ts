// mcKlBackward against central differences of mcKlForward (ε fixed: the reparameterised gradient).
import { test } from 'uvu';
import { assertClose } from '../assert_close.ts';
import { seededNormal, seededUniform } from '../seeded_random.ts';
import { mcKlBackward, mcKlForward } from '../reference/mc_kl.ts';
import { contract, FD_TOL, numericGradient } from './finite_difference.ts';

test('estimator-A KL: ∂/∂(μ, log σ²) matches finite differences', () => {
  const [B, Z] = [3, 2];
  const stats = seededUniform(31, B * 2 * Z, -2, 2);
  const eps = seededNormal(32, B * Z);
  const r = seededUniform(33, B, -1, 1);
  const analytic = new Float64Array(B * 2 * Z);
  // Σ_b r_b KL_b: the per-datapoint gradient rows weighted by r_b.
  for (let b = 0; b < B; b++) {
    const row = mcKlBackward(stats, eps, B, Z, 1);
    for (let k = 0; k < 2 * Z; k++) analytic[b * 2 * Z + k] = r[b] * row[b * 2 * Z + k];
  }
  const numeric = numericGradient((s) => contract(mcKlForward(s, eps, B, Z), r), stats);
  assertClose(analytic, numeric, { ...FD_TOL, label: 'mc_kl' });
});

test.run();
