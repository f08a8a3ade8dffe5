// The float64 reference step of a convolutional VAE (test/reference/conv_vae_step.ts through vae_step.ts):
// ∂loss/∂θ of every parameter — convolution and transposed-convolution weights and biases included — against
// central differences of the loss it reports, for each likelihood and estimator.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { vaeForward, vaeLossAndGradients, vaeParameterShapes, type VaeConfig } from '../reference/vae_step.ts';
import { tinyConvVae } from '../reference/conv_vae_step.ts';
import { assertClose } from '../assert_close.ts';
import { seededNormal, seededUniform } from '../seeded_random.ts';
import { FD_TOL, numericGradient } from './finite_difference.ts';

const B = 3;

function initParams(config: VaeConfig, seed: number): Record<string, Float64Array> {
  const params: Record<string, Float64Array> = {};
  vaeParameterShapes(config).forEach(({ name, shape }, i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    // Weights ~ N(0, 1/fan-in) so pre-activations are O(1) (a convolution's fan-in: channels in · k²); biases
    // nonzero so their gradients are exercised.
    const fanIn = shape.length === 2 ? shape[0] : shape[1] * shape[2] * shape[3];
    params[name] = seededNormal(seed + i, size, shape.length > 1 ? 1 / Math.sqrt(fanIn) : 0.3);
  });
  return params;
}

function check(config: VaeConfig, seed: number, estimator: 'A' | 'B' = 'B', iwae = 0): void {
  const params = initParams(config, seed);
  const x = seededUniform(seed + 100, B * config.D);
  const eps = seededNormal(seed + 101, B * config.Z);
  if (config.activation === 'relu') {
    const fwd = vaeForward(config, params, x, eps, B);
    for (const layer of fwd.layers.filter((l) => l.name !== 'encoder.head' && l.name !== 'decoder.out')) {
      const closest = Math.min(...Array.from(layer.pre, Math.abs));
      if (closest < 1e-3) throw new Error(`relu inputs of ${layer.name} too close to the kink: ${closest}`);
    }
  }
  const { grads } = vaeLossAndGradients(config, params, x, eps, B, 1, estimator, iwae);
  const shapes = vaeParameterShapes(config);
  assert.equal(Object.keys(grads).sort(), shapes.map((s) => s.name).sort(), 'one gradient per parameter');
  for (const { name } of shapes) {
    const numeric = numericGradient(
      (t) => vaeLossAndGradients(config, { ...params, [name]: t }, x, eps, B, 1, estimator, iwae).loss,
      params[name],
    );
    assertClose(grads[name], numeric, { ...FD_TOL, label: `conv ${config.activation} ${config.likelihood} ${name}` });
  }
}

for (const activation of ['tanh', 'softplus', 'sigmoid'] as const) {
  test(`conv vae step (${activation}, Bernoulli): every gradient matches finite differences`, () => {
    check(tinyConvVae(activation, 2), 1200);
  });
}

test("conv vae step with the paper's Gaussian decoder (2 output channels: mean | log σ²): every gradient matches finite differences", () => {
  check(tinyConvVae('tanh', 2, 'gaussian'), 1210);
});

test('conv vae step with the shared-variance Gaussian decoder: every gradient matches finite differences', () => {
  check(tinyConvVae('tanh', 2, 'gaussian-shared-variance', -0.2), 1220);
});

test('conv vae step with estimator A and with IWAE (k = 3): every gradient matches finite differences', () => {
  check(tinyConvVae('softplus', 3), 1230, 'A');
  check(tinyConvVae('softplus', 3), 1231, 'A', 3);
});

test.run();
