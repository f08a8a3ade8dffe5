// The convolutional VAE on the GPU (issue 24): the whole SGVB step (src/train/sgvb_step.ts over a layer chain of
// convolutions, transposed convolutions and dense layers) against the float64 reference step of the same model
// written out by hand (test/reference/conv_vae_step.ts), for each decoder, estimator A and IWAE; the parameter
// layout against the reference's names and shapes; and the PyTorch peer's ConvVAE shapes.
import * as assert from 'uvu/assert';
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead } from './gpu_suite.ts';
import { seededNormal, seededUniform } from './seeded_random.ts';
import { vaeLossAndGradients, vaeParameterShapes } from './reference/vae_step.ts';
import { TINY_CONV_ARCH, TINY_CONV_D, tinyConvVae } from './reference/conv_vae_step.ts';
import { SgvbStep } from '../src/train/sgvb_step.ts';
import { Vae } from '../src/vae/vae.ts';
import { DEFAULT_OPTIMIZERS } from '../src/train/optimizer_config.ts';
import { parameterLayout, type ParameterLayout } from '../src/model/parameter_layout.ts';
import { ELBO_METRICS } from '../src/kernels/elbo_mean.ts';
import { parseArch } from '../src/model/layer_specs.ts';
import type { Likelihood, VaeArchitecture } from '../src/model/vae_architecture.ts';
import type { Activation } from '../src/kernels/activation.ts';
import { Trainer } from '../src/train/trainer.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint_format.ts';
import { decodeSafetensors } from '../src/io/safetensors.ts';
import { testConfig } from './configs.ts';
import type { TrainConfig } from '../src/train/train_config.ts';
import type { GpuContext } from '../src/gpu/device.ts';

const test = gpuSuite('conv_vae');

const LIKELIHOODS: Likelihood[] = ['bernoulli', 'gaussian', 'gaussian-shared-variance'];
const FLOOR = -0.2; // a floor that binds for some outputs of the Gaussian decoders

function archOf(activation: Activation, Z: number, likelihood: Likelihood): VaeArchitecture {
  return {
    D: TINY_CONV_D,
    hidden: [],
    Z,
    activation,
    likelihood,
    minLogVariance: FLOOR,
    arch: parseArch(TINY_CONV_ARCH),
  };
}

const f32 = (a: ArrayLike<number>) => Float64Array.from(Float32Array.from(a));

function byName(layout: ParameterLayout, flat: ArrayLike<number>): Record<string, Float64Array> {
  return Object.fromEntries(
    layout.entries.map((e) => [
      e.name,
      Float64Array.from(Array.prototype.slice.call(flat, e.offset, e.offset + e.size)),
    ]),
  );
}

test("the parameter layout names the reference's tensors, shapes and order, for every decoder", () => {
  for (const likelihood of LIKELIHOODS) {
    const ours = parameterLayout(archOf('tanh', 2, likelihood)).entries.map((e) => `${e.name}:${e.shape.join('x')}`);
    const theirs = vaeParameterShapes(tinyConvVae('tanh', 2, likelihood)).map((e) => `${e.name}:${e.shape.join('x')}`);
    assert.equal(ours, theirs, likelihood);
  }
});

test("conv:32,64 with hidden [256] and Z = 20 on 28×28 rows has the PyTorch peer's ConvVAE shapes", () => {
  const layout = parameterLayout({ D: 784, hidden: [256], Z: 20, activation: 'relu', arch: 'conv:32,64' });
  assert.equal(
    layout.entries.map((e) => `${e.name}:${e.shape.join('x')}`),
    [
      'encoder.0.weight:32x1x4x4', // c1: Conv2d(1, 32, 4, 2, 1)
      'encoder.0.bias:32',
      'encoder.1.weight:64x32x4x4', // c2
      'encoder.1.bias:64',
      'encoder.2.weight:3136x256', // e1: Linear(64·7·7, 256), transposed
      'encoder.2.bias:256',
      'encoder.head.weight:256x40', // [mu | lv]
      'encoder.head.bias:40',
      'decoder.0.weight:20x256', // d1
      'decoder.0.bias:256',
      'decoder.1.weight:256x3136', // d2
      'decoder.1.bias:3136',
      'decoder.2.weight:64x32x4x4', // t1: ConvTranspose2d(64, 32, 4, 2, 1)
      'decoder.2.bias:32',
      'decoder.out.weight:32x1x4x4', // t2
      'decoder.out.bias:1',
    ],
  );
});

/** Parameters with weights ~ N(0, 1/fan-in) and small nonzero biases. */
function testParameters(layout: ParameterLayout): Float64Array {
  const flat = new Float64Array(layout.P);
  layout.entries.forEach((e, i) => {
    const fanIn = e.shape.length === 2 ? e.shape[0] : e.shape.length === 4 ? e.shape[1] * e.shape[2] * e.shape[3] : 1;
    flat.set(seededNormal(300 + i, e.size, e.shape.length > 1 ? 1 / Math.sqrt(fanIn) : 0.1), e.offset);
  });
  return flat;
}

const CASES: Array<{ activation: Activation; likelihood: Likelihood; estimator: 'A' | 'B'; iwae: number }> = [
  { activation: 'tanh', likelihood: 'bernoulli', estimator: 'B', iwae: 0 },
  { activation: 'relu', likelihood: 'bernoulli', estimator: 'B', iwae: 0 },
  { activation: 'softplus', likelihood: 'gaussian', estimator: 'B', iwae: 0 },
  { activation: 'tanh', likelihood: 'gaussian-shared-variance', estimator: 'B', iwae: 0 },
  { activation: 'tanh', likelihood: 'bernoulli', estimator: 'A', iwae: 0 },
  { activation: 'tanh', likelihood: 'gaussian', estimator: 'A', iwae: 3 },
];

for (const { activation, likelihood, estimator, iwae } of CASES) {
  const what = `${activation}, ${likelihood} decoder, estimator ${estimator}${iwae ? `, IWAE k = ${iwae}` : ''}`;
  test(`one conv VAE step (${what}) has the float64 reference's metrics and gradients`, async ({ gpu }) => {
    const arch = archOf(activation, 2, likelihood);
    const model = await Vae.create(
      {
        D: arch.D,
        hidden: [],
        latent: arch.Z,
        activation,
        likelihood,
        minLogVariance: FLOOR,
        arch: arch.arch,
        init: 'pytorch',
        seed: 1,
      },
      { gpu },
    );
    const B = 6;
    const step = new SgvbStep(model, {
      B,
      optimizer: DEFAULT_OPTIMIZERS.sgd,
      seed: 1,
      noise: 'fixed',
      estimator,
      ...(iwae ? { iwaeSamples: iwae } : {}),
    });
    try {
      const layout = model.layout;
      const params = f32(testParameters(layout));
      const u = seededUniform(31, B * arch.D);
      const x = likelihood === 'bernoulli' ? u.map((v) => (v < 0.4 ? 1 : 0)) : f32(u);
      const eps = f32(seededNormal(32, B * arch.Z));
      gpu.device.queue.writeBuffer(model.params, 0, Float32Array.from(params));
      gpu.device.queue.writeBuffer(step.forward.eps, 0, Float32Array.from(eps));
      step.submit(Float32Array.from(x));
      const config = tinyConvVae(activation, 2, likelihood, FLOOR);
      const expected = vaeLossAndGradients(config, byName(layout, params), x, eps, B, 1, estimator, iwae);
      if (iwae === 0) {
        const metrics = await runAndRead(gpu, [], step.metrics, ELBO_METRICS.count);
        assertClose(
          [metrics[ELBO_METRICS.elbo], metrics[ELBO_METRICS.kl], metrics[ELBO_METRICS.logp]],
          [expected.elbo, expected.kl, expected.logp],
          { atol: 1e-4, rtol: 1e-5, label: `${what}: [elbo, kl, logp]` },
        );
      }
      const grads = await runAndRead(gpu, [], step.grads, layout.P);
      for (const e of layout.entries) {
        const scale = expected.grads[e.name].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        assertClose(grads.subarray(e.offset, e.offset + e.size), expected.grads[e.name], {
          atol: 1e-5 * scale + 1e-7,
          rtol: 1e-4,
          label: `${what}: ∂loss/∂${e.name}`,
        });
      }
    } finally {
      step.destroy();
      model.destroy();
    }
  });
}

/** A trainer of `config` that has taken `steps` steps on seeded rows; returns it and the rows. */
async function trainedFor(gpu: GpuContext, config: TrainConfig, steps: number) {
  const trainer = await Trainer.create(config, { gpu });
  const rows = Float32Array.from(seededUniform(41, config.batch * config.D), (v) => (v < 0.3 ? 1 : 0));
  for (let i = 0; i < steps; i++) await trainer.enqueueStep(rows);
  await trainer.settle();
  return { trainer, rows };
}

test('a checkpoint of an MLP written without arch or imageShape (as every checkpoint before issue 24) still loads, as the same MLP', async ({
  gpu,
}) => {
  const { trainer, rows } = await trainedFor(gpu, testConfig({ D: 10, hidden: [6], latent: 2, batch: 4, seed: 3 }), 2);
  try {
    // The config as aevb wrote it before issue 24: no arch, no imageShape.
    const { arch: _arch, imageShape: _image, ...older } = (await trainer.snapshot()).config;
    const snapshot = { ...(await trainer.snapshot()), config: older as TrainConfig };
    const bytes = encodeCheckpoint({ snapshot, run: null });
    const written = JSON.parse(decodeSafetensors(bytes, 'mem').metadata.config) as Record<string, unknown>;
    assert.not.ok('arch' in written || 'imageShape' in written, 'the checkpoint is one without a layer list');
    const loaded = await Vae.fromCheckpoint(decodeCheckpoint(bytes, 'old.safetensors'), { gpu });
    try {
      assert.equal(
        loaded.layout.entries.map((e) => `${e.name}:${e.shape.join('x')}`),
        ['encoder.0.weight:10x6', 'encoder.0.bias:6', 'encoder.head.weight:6x4', 'encoder.head.bias:4'].concat([
          'decoder.0.weight:2x6',
          'decoder.0.bias:6',
          'decoder.out.weight:6x10',
          'decoder.out.bias:10',
        ]),
      );
      assert.equal(await loaded.flatParameters(), await trainer.model.flatParameters());
      assert.equal((await loaded.encode(rows)).mu, (await trainer.model.encode(rows)).mu);
    } finally {
      loaded.destroy();
    }
  } finally {
    trainer.destroy();
  }
});

test('a conv model with a layer list and the Gaussian decoder: checkpoint, load, resume give the same bits', async ({
  gpu,
}) => {
  const config = testConfig({
    D: TINY_CONV_D,
    hidden: [],
    latent: 2,
    batch: 5,
    seed: 4,
    likelihood: 'gaussian',
    arch: parseArch(TINY_CONV_ARCH),
    imageShape: [1, 6, 6],
  });
  const { trainer, rows } = await trainedFor(gpu, config, 3);
  let resumed: Trainer | null = null;
  try {
    const bytes = encodeCheckpoint({ snapshot: await trainer.snapshot(), run: null });
    const checkpoint = decodeCheckpoint(bytes, 'conv.safetensors');
    assert.equal(checkpoint.snapshot.config.arch, parseArch(TINY_CONV_ARCH), 'the layer list lives in the checkpoint');
    const loaded = await Vae.fromCheckpoint(checkpoint, { gpu });
    try {
      assert.equal(await loaded.flatParameters(), await trainer.model.flatParameters());
      assert.equal(await loaded.reconstruct(rows), await trainer.model.reconstruct(rows));
    } finally {
      loaded.destroy();
    }
    // Resume: a fresh trainer restored from the checkpoint and the original take the next step alike.
    resumed = await Trainer.create(checkpoint.snapshot.config, { gpu });
    await resumed.restore(checkpoint.snapshot, 'conv.safetensors');
    await resumed.enqueueStep(rows);
    await trainer.enqueueStep(rows);
    assert.equal(await resumed.model.flatParameters(), await trainer.model.flatParameters());
  } finally {
    resumed?.destroy();
    trainer.destroy();
  }
});

test('a conv model encodes, decodes, samples, scores log p(x) and trains by wake-sleep: right sizes, finite values', async ({
  gpu,
}) => {
  const config = testConfig({
    D: TINY_CONV_D,
    hidden: [],
    latent: 2,
    batch: 4,
    seed: 5,
    arch: parseArch(TINY_CONV_ARCH),
  });
  const { trainer, rows } = await trainedFor(gpu, { ...config, method: 'wake-sleep' }, 2);
  try {
    const vae = trainer.model;
    const finite = (a: Float32Array, n: number, what: string) => {
      assert.is(a.length, n, `${what}: length`);
      assert.ok(a.every(Number.isFinite), `${what}: finite`);
    };
    const { mu } = await vae.encode(rows);
    finite(mu, 4 * 2, 'encode');
    finite(await vae.decode(mu), 4 * TINY_CONV_D, 'decode');
    finite(await vae.sample(3), 3 * TINY_CONV_D, 'sample');
    const logPx = await vae.logPx(rows, { k: 5, chunk: 2 });
    assert.ok(Number.isFinite(logPx.logPx) && logPx.logPx < 0, `log p(x) = ${logPx.logPx}`);
    const elbo = await vae.evaluate(rows, { chunk: 2 });
    assert.ok(elbo.elbo <= logPx.logPx + 5, `ELBO ${elbo.elbo} should not be far above log p(x) ${logPx.logPx}`);
  } finally {
    trainer.destroy();
  }
});

test.run();
