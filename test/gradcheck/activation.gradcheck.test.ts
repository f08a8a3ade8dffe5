// activationBackward against central differences of activate, for every activation.
import { test } from 'uvu';
import { ACTIVATIONS, activate, activationBackward } from '../reference/activation.ts';
import { assertClose } from '../assert_close.ts';
import { seededNormal } from '../seeded_random.ts';
import { awayFromZero, contract, FD_TOL, numericGradient } from './finite_difference.ts';

const n = 3 * 7;

for (const act of ACTIVATIONS) {
  test(`activation ${act}: backward matches finite differences`, () => {
    // σ = 3 reaches into the saturated tails of tanh/sigmoid; the relu kink is kept ≥ 1e-2 away.
    const pre = awayFromZero(seededNormal(11, n, 3));
    const r = seededNormal(12, n);
    const numeric = numericGradient((p) => contract(r, activate(p, act)), pre);
    assertClose(activationBackward(pre, r, act), numeric, { ...FD_TOL, label: `d${act}` });
  });
}

test('activation: relu derivative at exactly 0 is 0', () => {
  const d = activationBackward([0, -0], [1, 1], 'relu');
  assertClose(d, [0, 0], { atol: 0, rtol: 0, label: "relu'(0)" });
});

test('activation: softplus and sigmoid are stable far out', () => {
  const y = activate([-800, 800], 'softplus');
  assertClose(y, [0, 800], { atol: 0, rtol: 0, label: 'softplus tails' });
  const s = activate([-800, 800], 'sigmoid');
  assertClose(s, [0, 1], { atol: 0, rtol: 0, label: 'sigmoid tails' });
});

test.run();
