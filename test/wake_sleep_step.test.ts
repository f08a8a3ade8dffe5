// The whole wake-sleep step (src/train/wake_sleep_step.ts: both phases and the update in one submission)
// against the float64 reference test/reference/wake_sleep_step.ts: from fixed parameters, ε, dreamed z and
// dream noise, the wake minibatch's metrics, the dreamed x, every gradient (decoder ones from the wake phase,
// encoder ones from the sleep phase) and the SGD update match, for each decoder, with dense and with conv layers.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead } from './gpu_suite.ts';
import { seededNormal, seededUniform } from './seeded_random.ts';
import { wakeSleepGradients } from './reference/wake_sleep_step.ts';
import { WakeSleepStep } from '../src/train/wake_sleep_step.ts';
import { Vae } from '../src/vae/vae.ts';
import { DEFAULT_OPTIMIZERS } from '../src/train/optimizer_config.ts';
import { ELBO_METRICS } from '../src/kernels/elbo_mean.ts';
import type { Likelihood, VaeArchitecture } from '../src/model/vae_architecture.ts';
import { parseArch } from '../src/model/layer_specs.ts';
import { TINY_CONV_ARCH, TINY_CONV_D, tinyConvVae } from './reference/conv_vae_step.ts';
import type { VaeConfig } from './reference/vae_step.ts';
import { Trainer } from '../src/train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../src/train/train_config.ts';
import * as assert from 'uvu/assert';

const test = gpuSuite('wake_sleep_step');
const f32 = (a: ArrayLike<number>) => Float64Array.from(Float32Array.from(a));
const sigmoid = (l: number) => 1 / (1 + Math.exp(-l));
/** A weight's fan-in: a dense (in, out) weight's in; a convolution's (·, inChannels, k, k) inChannels·k². */
const fanIn = (shape: readonly number[]) => (shape.length === 2 ? shape[0] : shape[1] * shape[2] * shape[3]);

// The conv models: the same step over convolutions and transposed convolutions (test/reference/conv_vae_step.ts
// writes the layers out by hand for the reference; the library reads its layer list).
const conv = (likelihood: Likelihood, minLogVariance?: number) => ({
  arch: {
    D: TINY_CONV_D,
    hidden: [],
    Z: 2,
    activation: 'tanh' as const,
    likelihood,
    minLogVariance,
    arch: parseArch(TINY_CONV_ARCH),
  },
  reference: tinyConvVae('tanh', 2, likelihood, minLogVariance),
  B: 4,
});

const MODELS: Array<{ arch: VaeArchitecture; B: number; reference?: VaeConfig }> = [
  { arch: { D: 9, hidden: [6], Z: 3, activation: 'tanh', likelihood: 'bernoulli' }, B: 4 },
  { arch: { D: 8, hidden: [6, 5], Z: 2, activation: 'softplus', likelihood: 'gaussian', minLogVariance: -0.5 }, B: 5 },
  { arch: { D: 9, hidden: [6], Z: 3, activation: 'tanh', likelihood: 'gaussian-shared-variance' }, B: 4 },
  conv('bernoulli'),
  conv('gaussian', -0.5),
  conv('gaussian-shared-variance'),
];

for (const { arch, B, reference } of MODELS) {
  const network = arch.arch === undefined ? `hidden [${arch.hidden}]` : 'conv layers';
  test(`one wake-sleep step, ${arch.likelihood} decoder, ${network}, B=${B}`, async ({ gpu }) => {
    const model = await Vae.create(
      {
        D: arch.D,
        hidden: arch.hidden,
        latent: arch.Z,
        activation: arch.activation,
        likelihood: arch.likelihood,
        minLogVariance: arch.minLogVariance,
        arch: arch.arch,
        init: 'glorot',
        seed: 1,
      },
      { gpu },
    );
    const optimizer = { ...DEFAULT_OPTIMIZERS.sgd, lr: 0.1 };
    const step = new WakeSleepStep(model, { B, optimizer, seed: 1, noise: 'fixed' });
    try {
      const layout = model.layout;
      const params = new Float64Array(layout.P);
      layout.entries.forEach((e, i) =>
        params.set(
          f32(seededNormal(200 + i, e.size, e.shape.length > 1 ? 1 / Math.sqrt(fanIn(e.shape)) : 0.3)),
          e.offset,
        ),
      );
      const byName = Object.fromEntries(
        layout.entries.map((e) => [e.name, params.subarray(e.offset, e.offset + e.size)]),
      );
      const x = f32(
        seededUniform(81, B * arch.D).map((v) => (arch.likelihood === 'bernoulli' ? (v < 0.4 ? 1 : 0) : v)),
      );
      const eps = f32(seededNormal(82, B * arch.Z));
      const dreamZ = f32(seededNormal(83, B * arch.Z));
      const dreamNoise = f32(seededNormal(84, B * 2 * arch.D));
      const expected = wakeSleepGradients(reference ?? arch, byName, x, eps, dreamZ, dreamNoise, B);
      if (arch.likelihood === 'bernoulli') {
        // No dream may sit within float32 rounding of its threshold, or either draw would be right.
        const margin = Math.min(
          ...Array.from(expected.dreamX, (_, i) => {
            const [b, d] = [Math.floor(i / arch.D), i % arch.D];
            return Math.abs(
              Math.exp(-0.5 * (dreamNoise[b * 2 * arch.D + d] ** 2 + dreamNoise[b * 2 * arch.D + arch.D + d] ** 2)) -
                sigmoid(expected.dreamOut[i]),
            );
          }),
        );
        if (margin < 1e-4) throw new Error(`a dream within ${margin} of its threshold: pick other seeds`);
      }
      gpu.device.queue.writeBuffer(model.params, 0, Float32Array.from(params));
      gpu.device.queue.writeBuffer(step.forward.eps, 0, Float32Array.from(eps));
      gpu.device.queue.writeBuffer(step.dreams.decoder.z, 0, Float32Array.from(dreamZ));
      gpu.device.queue.writeBuffer(step.dreams.noise, 0, Float32Array.from(dreamNoise));
      step.submit(Float32Array.from(x));
      const metrics = await runAndRead(gpu, [], step.metrics, ELBO_METRICS.count);
      assertClose(
        [metrics[ELBO_METRICS.elbo], metrics[ELBO_METRICS.kl], metrics[ELBO_METRICS.logp]],
        [expected.elbo, expected.kl, expected.logp],
        { atol: 1e-4, rtol: 1e-5, label: 'wake metrics [elbo, kl, logp]' },
      );
      assertClose(await runAndRead(gpu, [], step.dreams.encoder.x, B * arch.D), expected.dreamX, {
        atol: 1e-6,
        rtol: 1e-5,
        label: 'dreamed x',
      });
      const grads = await runAndRead(gpu, [], step.grads, layout.P);
      for (const e of layout.entries) {
        const scale = expected.grads[e.name].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        assertClose(grads.subarray(e.offset, e.offset + e.size), expected.grads[e.name], {
          atol: 1e-5 * scale + 1e-7,
          rtol: 1e-4,
          label: `∂/∂${e.name}`,
        });
      }
      const after = await runAndRead(gpu, [], model.params, layout.P);
      const sgd = params.map((p, i) => p - optimizer.lr * grads[i]);
      assertClose(after, sgd, { atol: 1e-6, rtol: 1e-5, label: 'parameters after one SGD step' });
    } finally {
      step.destroy();
      model.destroy();
    }
  });
}

test('a Trainer with method wake-sleep raises the ELBO of its data, and replays exactly from its seed', async ({
  gpu,
}) => {
  const config: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    D: 12,
    hidden: [10],
    latent: 2,
    activation: 'tanh',
    batch: 8,
    lr: 0.01,
    seed: 4,
    method: 'wake-sleep',
  };
  // Two prototypes and their noisy copies: structure a 2-D latent space can hold.
  const u = seededUniform(91, 64 * config.D);
  const data = Float32Array.from(u, (v, i) =>
    (Math.floor(i / config.D) % 2 === 0) === i % config.D < 6 ? (v < 0.9 ? 1 : 0) : v < 0.1 ? 1 : 0,
  );
  const batches = Array.from({ length: 300 }, (_, t) =>
    data.subarray((t % 8) * 8 * config.D, ((t % 8) + 1) * 8 * config.D),
  );
  const run = async () => {
    const trainer = await Trainer.create(config, { gpu });
    try {
      const before = await trainer.evaluate(data);
      await trainer.trainOn(batches);
      return { before: before.elbo, after: (await trainer.evaluate(data)).elbo };
    } finally {
      trainer.destroy();
    }
  };
  const first = await run();
  assert.ok(first.after > first.before + 1, `ELBO ${first.before} → ${first.after}`);
  assert.is((await run()).after, first.after, 'the same seed gives the same run');
});

test('a NaN in the parameters stops wake-sleep training with the true step, as it stops SGVB', async ({ gpu }) => {
  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, D: 6, hidden: [5], latent: 2, batch: 4, method: 'wake-sleep' };
  const trainer = await Trainer.create(config, { gpu });
  try {
    gpu.device.queue.writeBuffer(trainer.model.params, 0, new Float32Array([NaN]));
    let message = '';
    await trainer
      .trainOn(
        Array.from({ length: 6 }, () => new Float32Array(config.batch * config.D).fill(1)),
        { metricsEvery: 4 },
      )
      .catch((e: Error) => (message = e.message));
    assert.match(message, /became non-finite \(NaN or ±Inf\) at step 1/);
  } finally {
    trainer.destroy();
  }
});

test.run();
