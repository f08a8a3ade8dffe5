// The model object (src/vae/vae.ts): encode equals a float64 encoder composed from the reference layers, soft
// bound included; a model loaded from a trainer's snapshot allocates its parameters and nothing else (no
// optimizer state) and decodes exactly as the trainer's own model; load() refuses misshapen or missing tensors,
// naming them, and leaves the parameters as they were.
import * as assert from 'uvu/assert';
import { assertClose } from './assert_close.ts';
import { gpuSuite, rejectsWith } from './gpu_suite.ts';
import { seededNormal, seededUniform } from './seeded_random.ts';
import { denseForward } from './reference/matmul.ts';
import { gaussianHeadForward } from './reference/gaussian_head.ts';
import { Vae, type ModelConfig } from '../src/vae/vae.ts';
import { Trainer } from '../src/train/trainer.ts';
import { testConfig } from './configs.ts';
import type { NamedTensor } from '../src/model/named_tensors.ts';

const test = gpuSuite('vae');
const MODEL: ModelConfig = { D: 9, hidden: [6, 4], latent: 3, activation: 'softplus', init: 'glorot', seed: 5 };

/** The float64 encoder: dense layers, the head, then the Gaussian head's soft bound on log σ². */
function referenceEncoder(
  params: Record<string, Float64Array>,
  x: ArrayLike<number>,
  rows: number,
): { mu: number[]; logVar: number[] } {
  const Z = MODEL.latent;
  const h1 = denseForward(x, params['encoder.0.weight'], params['encoder.0.bias'], rows, 9, 6, 'softplus').y;
  const h2 = denseForward(h1, params['encoder.1.weight'], params['encoder.1.bias'], rows, 6, 4, 'softplus').y;
  const raw = denseForward(
    h2,
    params['encoder.head.weight'],
    params['encoder.head.bias'],
    rows,
    4,
    2 * Z,
    'identity',
  ).y;
  const stats = gaussianHeadForward(raw, rows, Z);
  const mu: number[] = [];
  const logVar: number[] = [];
  for (let b = 0; b < rows; b++) {
    mu.push(...stats.subarray(b * 2 * Z, b * 2 * Z + Z));
    logVar.push(...stats.subarray(b * 2 * Z + Z, (b + 1) * 2 * Z));
  }
  return { mu, logVar };
}

const asFloat64 = (tensors: NamedTensor[]) =>
  Object.fromEntries(tensors.map((t) => [t.name, Float64Array.from(t.data)]));

test('encode (chunks of 4, the last partial) equals the float64 encoder, soft-bounded log σ² included', async ({
  gpu,
}) => {
  const vae = await Vae.create(MODEL, { gpu });
  try {
    // Push the log-variance half of the head's bias far out, so the bound c·tanh(r/c) bends the values.
    const tensors = await vae.parameters();
    const headBias = tensors.find((t) => t.name === 'encoder.head.bias')!;
    headBias.data.set(seededNormal(3, MODEL.latent, 20), MODEL.latent);
    await vae.load(tensors);
    const rows = 11;
    const x = Float32Array.from(seededUniform(4, rows * MODEL.D));
    const encoded = await vae.encode(x, { chunk: 4 });
    const expected = referenceEncoder(asFloat64(tensors), x, rows);
    assert.is(encoded.rows, rows);
    assertClose(encoded.mu, expected.mu, { atol: 1e-5, rtol: 1e-5, label: 'μ' });
    assertClose(encoded.logVar, expected.logVar, { atol: 1e-5, rtol: 1e-5, label: 'log σ²' });
    assert.ok(
      expected.logVar.some((v) => Math.abs(v) > 10),
      'some log σ² lie where the bound bends them',
    );
    const whole = await vae.encode(x);
    assert.equal(Array.from(whole.mu), Array.from(encoded.mu), 'one chunk or three: the same μ');
  } finally {
    vae.destroy();
  }
});

test('fromCheckpoint allocates the parameters only, and decodes as the trainer it came from', async ({ gpu }) => {
  const config = testConfig({ ...MODEL, batch: 4, optimizer: 'adam', lr: 0.01 });
  const trainer = await Trainer.create(config, { gpu });
  try {
    await trainer.trainOn(
      Array.from({ length: 3 }, (_, i) =>
        Float32Array.from(seededUniform(10 + i, 4 * MODEL.D), (u) => (u < 0.4 ? 1 : 0)),
      ),
    );
    const snapshot = await trainer.snapshot();
    assert.ok(
      snapshot.tensors.some((t) => t.name.startsWith('optimizer.m.')),
      'the snapshot holds Adam moments',
    );
    const created: GPUBufferDescriptor[] = [];
    const createBuffer = gpu.device.createBuffer;
    gpu.device.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
      created.push(descriptor);
      return createBuffer.call(this, descriptor);
    };
    let vae: Vae;
    try {
      vae = await Vae.fromCheckpoint({ snapshot }, { gpu, source: 'trainer snapshot' });
    } finally {
      delete (gpu.device as unknown as Record<string, unknown>).createBuffer;
    }
    try {
      assert.equal(
        created.map((d) => [d.label, d.size]),
        [['params', vae.layout.P * 4]],
        'one buffer: the parameters',
      );
      assert.is(vae.parameterCount, trainer.parameterCount);
      const z = Float32Array.from(seededNormal(6, 5 * MODEL.latent));
      assert.equal(Array.from(await vae.decode(z)), Array.from(await trainer.model.decode(z)));
      assert.equal(Array.from(await vae.sample(4)), Array.from(await trainer.model.sample(4)));
    } finally {
      vae.destroy();
    }
  } finally {
    trainer.destroy();
  }
});

test("averageOf replaces the parameters with the mean of other trainers' vectors, on the GPU, in the order given", async ({
  gpu,
}) => {
  const vae = await Vae.create(MODEL, { gpu });
  try {
    const P = vae.layout.P;
    const vectors = [1, 2, 3].map((k) => Float32Array.from(seededUniform(70 + k, P, -1, 1)));
    const mean = await vae.averageOf(vectors);
    const expected = Float64Array.from({ length: P }, (_, i) => (vectors[0][i] + vectors[1][i] + vectors[2][i]) / 3);
    assertClose(mean, expected, { atol: 1e-7, rtol: 1e-6, label: 'mean of 3' });
    assert.equal(Array.from(await vae.flatParameters()), Array.from(mean), 'the model now holds the mean');
    await rejectsWith(
      () => vae.averageOf([new Float32Array(P), new Float32Array(P - 1)]),
      new RegExp(`vector 1 to average holds ${P - 1} floats, but this model has P = ${P}`),
    );
  } finally {
    vae.destroy();
  }
});

test('load refuses a misshapen or missing tensor, naming it, and leaves the parameters as they were', async ({
  gpu,
}) => {
  const vae = await Vae.create(MODEL, { gpu });
  try {
    const before = await vae.parameters();
    const misshapen = before.map((t) =>
      t.name === 'encoder.1.weight' ? { ...t, shape: [4, 6], data: new Float32Array(24).fill(1) } : t,
    );
    await rejectsWith(
      () => vae.load(misshapen, 'my.safetensors'),
      /^my\.safetensors: tensor 'encoder\.1\.weight' has shape 4×6, but this model needs 6×4$/,
    );
    const missing = before.filter((t) => t.name !== 'decoder.out.bias');
    await rejectsWith(
      () => vae.load(missing, 'my.safetensors'),
      /my\.safetensors: has no tensor 'decoder\.out\.bias' \(shape 9\)/,
    );
    const after = await vae.parameters();
    assert.equal(
      after.map((t) => Array.from(t.data)),
      before.map((t) => Array.from(t.data)),
    );
    await rejectsWith(
      () => Vae.create({ ...MODEL, latent: 0 }, { gpu }),
      /latent must be an integer from 1 to 4096, got 0/,
    );
  } finally {
    vae.destroy();
  }
});

test.run();
