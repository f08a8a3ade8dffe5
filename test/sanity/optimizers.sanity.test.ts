// The optimiser references against 2-element steps worked by hand.
import { test } from 'uvu';
import { sgdUpdate } from '../reference/sgd_update.ts';
import { adagradUpdate } from '../reference/adagrad_update.ts';
import { adamUpdate } from '../reference/adam_update.ts';
import { assertClose } from '../assert_close.ts';

const tight = { atol: 1e-15, rtol: 1e-14 };

test('sgd: θ −= lr·(g + wd·θ)', () => {
  const theta = Float64Array.of(1, -2);
  sgdUpdate(theta, [0.5, 0.25], { lr: 0.1, weightDecay: 0.01 });
  // g_eff = (0.5 + 0.01, 0.25 − 0.02) = (0.51, 0.23)
  assertClose(theta, [0.949, -2.023], { ...tight, label: 'θ' });
});

test('adagrad: h += g_eff², θ −= lr·g_eff/(√h + eps)', () => {
  const theta = Float64Array.of(1, -2);
  const h = Float64Array.of(3, 0);
  // wd = 0.5: g_eff = (0.5 + 0.5·1, 2 + 0.5·(−2)) = (1, 1); h = (4, 1); steps 0.1·1/2 and 0.1·1/1.
  adagradUpdate(theta, [0.5, 2], h, { lr: 0.1, eps: 0, weightDecay: 0.5 });
  assertClose(h, [4, 1], { ...tight, label: 'h' });
  assertClose(theta, [0.95, -2.1], { ...tight, label: 'θ' });
  // eps sits outside the square root: 0.1·1/(√5 + 0.5) on the next step with g_eff = 1 for element 0.
  const t2 = Float64Array.of(0, 0);
  const h2 = Float64Array.of(4, 0);
  adagradUpdate(t2, [1, 0], h2, { lr: 0.1, eps: 0.5 });
  assertClose(t2, [-0.1 / (Math.sqrt(5) + 0.5), 0], { ...tight, label: 'θ with eps' });
});

test('adam: with a constant gradient every step moves θ by lr·g/(|g| + eps) (bias corrections exact)', () => {
  const theta = Float64Array.of(1, -2);
  const m = new Float64Array(2);
  const v = new Float64Array(2);
  const opts = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
  const g = [0.5, -0.25];
  adamUpdate(theta, g, m, v, { ...opts, step: 1 });
  assertClose(m, [0.05, -0.025], { ...tight, label: 'm after 1' });
  assertClose(v, [0.00025, 0.0000625], { ...tight, label: 'v after 1' });
  const d0 = (0.1 * 0.5) / (0.5 + 1e-8);
  const d1 = (0.1 * 0.25) / (0.25 + 1e-8);
  assertClose(theta, [1 - d0, -2 + d1], { ...tight, label: 'θ after 1' });
  // Step 2: m = 0.095, m̂ = 0.095/0.19 = 0.5; v = 0.00049975, v̂ = 0.00049975/0.001999 = 0.25.
  adamUpdate(theta, g, m, v, { ...opts, step: 2 });
  assertClose(m, [0.095, -0.0475], { ...tight, label: 'm after 2' });
  assertClose(v, [0.00049975, 0.0001249375], { ...tight, label: 'v after 2' });
  assertClose(theta, [1 - 2 * d0, -2 + 2 * d1], { ...tight, label: 'θ after 2' });
});

test('adam: eps is added to √v̂ (PyTorch form), weight decay is coupled into g', () => {
  const theta = Float64Array.of(1, -2);
  const m = new Float64Array(2);
  const v = new Float64Array(2);
  // wd = 0.1: g_eff = (0.4 + 0.1, −0.05 − 0.2) = (0.5, −0.25); step 1 moves by lr·g/(|g| + eps) with eps = 0.1.
  adamUpdate(theta, [0.4, -0.05], m, v, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 0.1, weightDecay: 0.1, step: 1 });
  assertClose(theta, [1 - (0.1 * 0.5) / 0.6, -2 + (0.1 * 0.25) / 0.35], { ...tight, label: 'θ' });
});

test.run();
