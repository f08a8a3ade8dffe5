// klDivergenceBackward against central differences of scale·Σ_b KL_b (each KL_b depends only on row b, so the
// per-row gradient scale·∂KL_b/∂stats_b is exactly the gradient of that sum).
import { test } from 'uvu';
import { klDivergenceBackward, klDivergenceForward } from '../reference/kl_divergence.ts';
import { assertClose } from '../assert_close.ts';
import { seededNormal } from '../seeded_random.ts';
import { contract, FD_TOL, numericGradient } from './finite_difference.ts';

const B = 3;
const Z = 2;

test('kl divergence: backward matches finite differences', () => {
  const stats = seededNormal(51, B * 2 * Z, 1.5);
  const scale = 1 / B;
  const ones = new Float64Array(B).fill(scale);
  const numeric = numericGradient((t) => contract(ones, klDivergenceForward(t, B, Z)), stats);
  assertClose(klDivergenceBackward(stats, B, Z, scale), numeric, { ...FD_TOL, label: 'dStats' });
});

test('kl divergence: row b depends only on row b', () => {
  const stats = seededNormal(52, B * 2 * Z);
  const kl0 = klDivergenceForward(stats, B, Z);
  const moved = Float64Array.from(stats);
  for (let j = 0; j < 2 * Z; j++) moved[1 * 2 * Z + j] += 0.3;
  const kl1 = klDivergenceForward(moved, B, Z);
  assertClose([kl1[0], kl1[2]], [kl0[0], kl0[2]], { atol: 0, rtol: 0, label: 'other rows' });
});

test.run();
