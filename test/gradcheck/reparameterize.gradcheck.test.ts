// reparameterizeBackward against central differences of reparameterizeForward with respect to stats.
import { test } from 'uvu';
import { reparameterizeBackward, reparameterizeForward } from '../reference/reparameterize.ts';
import { assertClose } from '../assert_close.ts';
import { seededNormal } from '../seeded_random.ts';
import { contract, FD_TOL, numericGradient } from './finite_difference.ts';

const B = 3;
const Z = 2;

test('reparameterize: backward matches finite differences', () => {
  const stats = seededNormal(41, B * 2 * Z, 1.5);
  const eps = seededNormal(42, B * Z);
  const r = seededNormal(43, B * Z);
  const numeric = numericGradient((t) => contract(r, reparameterizeForward(t, eps, B, Z)), stats);
  assertClose(reparameterizeBackward(stats, eps, r, B, Z), numeric, { ...FD_TOL, label: 'dStats' });
});

test('reparameterize: z = μ + exp(½ log σ²)·ε by hand', () => {
  // B=1, Z=2: μ = (1, −2), log σ² = (0, ln 4) → σ = (1, 2); ε = (0.5, −1).
  const z = reparameterizeForward([1, -2, 0, Math.log(4)], [0.5, -1], 1, 2);
  assertClose(z, [1.5, -4], { atol: 1e-15, rtol: 1e-15, label: 'z' });
});

test.run();
