// vaeLossAndGradients: ∂loss/∂θ for every parameter against central differences of the loss it reports.
// This checks the backward wiring (layer order, the KL and reparameterisation paths into the head, the 1/B
// scale) on top of the per-piece checks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ACTIVATIONS } from '../reference/activation.ts';
import { vaeForward, vaeLossAndGradients, vaeParameterShapes } from '../reference/vae_step.ts';
import type { VaeConfig } from '../reference/vae_step.ts';
import { assertClose } from '../assert_close.ts';
import { seededNormal, seededUniform } from '../seeded_random.ts';
import { FD_TOL, numericGradient } from './finite_difference.ts';

const B = 3;

function initParams(config: VaeConfig, seed: number): Record<string, Float64Array> {
  const params: Record<string, Float64Array> = {};
  vaeParameterShapes(config).forEach(({ name, shape }, i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    // Weights ~ N(0, 1/in) so pre-activations are O(1); biases nonzero so their gradients are exercised.
    const std = shape.length === 2 ? 1 / Math.sqrt(shape[0]) : 0.3;
    params[name] = seededNormal(seed + i, size, std);
  });
  return params;
}

function check(config: VaeConfig, seed: number, beta = 1, estimator: 'A' | 'B' = 'B', iwae = 0): void {
  const params = initParams(config, seed);
  const x = seededUniform(seed + 100, B * config.D); // non-binary pixels in [0, 1]
  const eps = seededNormal(seed + 101, B * config.Z);
  if (config.activation === 'relu') {
    // Differences must not straddle a kink: every hidden pre-activation well clear of 0 for these seeds.
    const fwd = vaeForward(config, params, x, eps, B);
    for (const layer of fwd.layers.filter((l) => l.name !== 'encoder.head' && l.name !== 'decoder.out')) {
      const closest = Math.min(...Array.from(layer.pre, Math.abs));
      if (closest < 1e-3) throw new Error(`relu inputs of ${layer.name} too close to the kink: ${closest}`);
    }
  }
  const { grads } = vaeLossAndGradients(config, params, x, eps, B, beta, estimator, iwae);
  const shapes = vaeParameterShapes(config);
  assert.equal(Object.keys(grads).sort(), shapes.map((s) => s.name).sort(), 'one gradient per parameter');
  for (const { name } of shapes) {
    const numeric = numericGradient(
      (t) => vaeLossAndGradients(config, { ...params, [name]: t }, x, eps, B, beta, estimator, iwae).loss,
      params[name],
    );
    assertClose(grads[name], numeric, { ...FD_TOL, label: `${config.activation} [${config.hidden}] ${name}` });
  }
}

for (const activation of ACTIVATIONS) {
  test(`vae step (${activation}, D=7, H=5, Z=2): every gradient matches finite differences`, () => {
    check({ D: 7, hidden: [5], Z: 2, activation }, 700);
  });
}

test('vae step (tanh, two hidden layers 5, 4): every gradient matches finite differences', () => {
  check({ D: 7, hidden: [5, 4], Z: 2, activation: 'tanh' }, 800);
});

test('vae step with β = 0.3 on the KL (warm-up, β-VAE): every gradient matches finite differences', () => {
  check({ D: 7, hidden: [5], Z: 2, activation: 'tanh' }, 750, 0.3);
});

test('vae step with estimator A (Monte-Carlo KL): every gradient matches finite differences', () => {
  check({ D: 7, hidden: [5], Z: 2, activation: 'softplus' }, 760, 1, 'A');
});

test("vae step with the paper's Gaussian decoder (mean and log σ² from the decoder): every gradient matches finite differences", () => {
  check({ D: 7, hidden: [5], Z: 2, activation: 'tanh', likelihood: 'gaussian' }, 770);
});

test("vae step with the paper's Gaussian decoder and a floor that clamps some log σ²: every gradient matches finite differences", () => {
  check({ D: 7, hidden: [5], Z: 2, activation: 'tanh', likelihood: 'gaussian', minLogVariance: -0.3 }, 771);
});

test('vae step with the shared-variance Gaussian decoder (learned log-variances): every gradient matches finite differences', () => {
  check(
    { D: 7, hidden: [5], Z: 2, activation: 'tanh', likelihood: 'gaussian-shared-variance', minLogVariance: -0.2 },
    772,
  );
});

for (const likelihood of ['gaussian', 'gaussian-shared-variance'] as const) {
  test(`vae step with the ${likelihood} decoder, estimator A and IWAE (k = 3): every gradient matches finite differences`, () => {
    check({ D: 7, hidden: [5], Z: 2, activation: 'tanh', likelihood }, 773, 1, 'A');
    check({ D: 7, hidden: [5], Z: 2, activation: 'tanh', likelihood }, 774, 1, 'A', 3);
  });
}

test('vae step with the IWAE objective (k = 3 samples per datapoint): every gradient matches finite differences', () => {
  check({ D: 7, hidden: [5], Z: 2, activation: 'tanh' }, 780, 1, 'A', 3);
});

test('vae step (no hidden layer): every gradient matches finite differences', () => {
  check({ D: 7, hidden: [], Z: 2, activation: 'softplus' }, 900);
});

test.run();
