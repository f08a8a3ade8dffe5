// The Trainer (src/train/trainer.ts) and the dataset ELBO (src/eval/dataset_elbo.ts): the evaluation of a whole
// dataset, partial last chunk included, equals the float64 reference with the same ε; a non-finite ELBO stops
// training with the true step number instead of spreading.
import * as assert from 'uvu/assert';
import { assertClose } from './assert_close.ts';
import { gpuSuite, rejectsWith } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { vaeForward } from './reference/vae_step.ts';
import { metricsDue, Trainer } from '../src/train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/train/train_config.ts';
import { architectureOf } from '../src/train/train_config.ts';
import { testConfig } from './configs.ts';
import { philoxNormals } from '../src/random/philox.ts';
import { RANDOM_STREAMS } from '../src/random/streams.ts';
import { logImportanceWeight, logMeanExp } from './reference/importance_weight.ts';

const test = gpuSuite('trainer');
const CONFIG = testConfig({
  D: 11,
  hidden: [7],
  latent: 3,
  activation: 'softplus',
  init: 'glorot',
  batch: 4,
  optimizer: 'adam',
  lr: null,
  seed: 21,
});

test('the ELBO of a dataset (chunks of 8, the last one partial) equals the float64 reference', async ({ gpu }) => {
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    const rows = 19;
    const data = Float32Array.from(seededUniform(4, rows * CONFIG.D).map((u) => (u < 0.5 ? 1 : 0)));
    const result = await trainer.evaluate(data, { chunk: 8 });
    const snapshot = await trainer.snapshot();
    const params = Object.fromEntries(snapshot.tensors.map((t) => [t.name, Float64Array.from(t.data)]));
    let elbo = 0;
    for (let c = 0, first = 0; first < rows; c++, first += 8) {
      const B = Math.min(8, rows - first);
      const eps = Float64Array.from(
        Float32Array.from(philoxNormals(CONFIG.seed, c, RANDOM_STREAMS.evaluationNoise, B * CONFIG.latent)),
      );
      elbo +=
        B *
        vaeForward(architectureOf(CONFIG), params, data.subarray(first * CONFIG.D, (first + B) * CONFIG.D), eps, B)
          .elbo;
    }
    assert.is(result.rows, rows);
    // ε on the GPU carries float32 log/cos/sin error (≤ 2.8e-3 by the WGSL spec, far less on lavapipe).
    assertClose([result.elbo], [elbo / rows], { atol: 1e-2, rtol: 1e-4, label: 'dataset ELBO' });
    const again = await trainer.evaluate(data, { chunk: 8 });
    assert.is(again.elbo, result.elbo, 'evaluating twice gives the same number');
  } finally {
    trainer.destroy();
  }
});

test('importance-sampled log p(x) (k=5, chunks of 4, the last partial) equals the float64 reference', async ({
  gpu,
}) => {
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    const rows = 9;
    const k = 5;
    const data = Float32Array.from(seededUniform(6, rows * CONFIG.D).map((u) => (u < 0.5 ? 1 : 0)));
    const result = await trainer.logPx(data, { k, chunk: 4 });
    const params = Object.fromEntries(
      (await trainer.snapshot()).tensors.map((t) => [t.name, Float64Array.from(t.data)]),
    );
    const expected: number[] = [];
    for (let c = 0, first = 0; first < rows; c++, first += 4) {
      const B = Math.min(4, rows - first);
      const x = data.subarray(first * CONFIG.D, (first + B) * CONFIG.D);
      const weights = [];
      for (let s = 0; s < k; s++) {
        const eps = Float64Array.from(
          Float32Array.from(philoxNormals(CONFIG.seed, c * k + s, RANDOM_STREAMS.importanceNoise, B * CONFIG.latent)),
        );
        const f = vaeForward(architectureOf(CONFIG), params, x, eps, B);
        weights.push(logImportanceWeight(f.logpPerDatapoint, f.z, f.stats, B, CONFIG.latent));
      }
      expected.push(...logMeanExp(weights, B));
    }
    assertClose(result.perRow, expected, { atol: 1e-2, rtol: 1e-4, label: 'log p(x) per row' });
  } finally {
    trainer.destroy();
  }
});

test('log p(x) with many samples is at least the ELBO, and active units match the reference means', async ({ gpu }) => {
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    const data = Float32Array.from(seededUniform(8, 40 * CONFIG.D).map((u) => (u < 0.3 ? 1 : 0)));
    await trainer.trainOn(
      Array.from({ length: 30 }, (_, i) => data.subarray((i % 10) * 4 * CONFIG.D, ((i % 10) * 4 + 4) * CONFIG.D)),
    );
    const elbo = await trainer.evaluate(data, { chunk: 16 });
    const logPx = await trainer.logPx(data, { k: 200, chunk: 16 });
    assert.ok(logPx.logPx >= elbo.elbo, `log p(x) ${logPx.logPx} < ELBO ${elbo.elbo}`);
    const units = await trainer.activeUnits(data, { chunk: 16 });
    const params = Object.fromEntries(
      (await trainer.snapshot()).tensors.map((t) => [t.name, Float64Array.from(t.data)]),
    );
    const f = vaeForward(architectureOf(CONFIG), params, data, new Float64Array(40 * CONFIG.latent), 40);
    const variances = Array.from({ length: CONFIG.latent }, (_, j) => {
      const mu = Array.from({ length: 40 }, (_, b) => f.stats[b * 2 * CONFIG.latent + j]);
      const mean = mu.reduce((a, v) => a + v, 0) / 40;
      return mu.reduce((a, v) => a + (v - mean) ** 2, 0) / 40;
    });
    assertClose(units.variances, variances, { atol: 1e-5, rtol: 1e-3, label: 'Var(μ_j)' });
    assert.is(units.count, variances.filter((v) => v > 0.01).length);
  } finally {
    trainer.destroy();
  }
});

test('a NaN in the parameters stops trainOn() with the true step, and restore() refuses a non-finite snapshot', async ({
  gpu,
}) => {
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    const snapshot = await trainer.snapshot();
    snapshot.tensors[0].data[0] = NaN;
    await rejectsWith(
      () => trainer.restore(snapshot, 'nan.snapshot'),
      new RegExp(`nan.snapshot: tensor '${snapshot.tensors[0].name}' holds NaN at index 0; expected finite values`),
    );
    // Past restore()'s check: the parameters on the GPU go non-finite before step 1.
    gpu.device.queue.writeBuffer(trainer.model.params, 0, new Float32Array([NaN]));
    const batches = Array.from({ length: 6 }, () => new Float32Array(CONFIG.batch * CONFIG.D).fill(1));
    let message = '';
    try {
      await trainer.trainOn(batches, { metricsEvery: 4 });
    } catch (e) {
      message = (e as Error).message;
    }
    assert.match(
      message,
      /the minibatch ELBO and the parameters became non-finite \(NaN or ±Inf\) at step 1, whose minibatch was finite/,
    );
    await rejectsWith(() => trainer.snapshot(), /at step 1, whose minibatch was finite/);
  } finally {
    trainer.destroy();
  }
});

test('a partial config is completed from the defaults, and a bad field is still refused by name', async ({ gpu }) => {
  const trainer = await Trainer.create({ D: 6, hidden: [4], latent: 2, seed: undefined }, { gpu });
  try {
    assert.equal(trainer.config, { ...DEFAULT_TRAIN_CONFIG, D: 6, hidden: [4], latent: 2 });
  } finally {
    trainer.destroy();
  }
  const message = await Trainer.create({ D: 6, latent: 0 }, { gpu }).then(
    () => '',
    (e: Error) => e.message,
  );
  assert.match(message, 'latent');
});

test('metrics are read back every metricsEvery steps, and at steps 1, 2, 4, 8 … before the first of them', async ({
  gpu,
}) => {
  assert.equal(
    Array.from({ length: 40 }, (_, i) => i + 1).filter((step) => metricsDue(step, 10)),
    [1, 2, 4, 8, 10, 20, 30, 40],
  );
  assert.equal(
    [1, 2, 3].filter((step) => metricsDue(step, 1)),
    [1, 2, 3],
  );
  assert.not.ok(metricsDue(1, 0), 'metricsEvery 0: never');
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    const steps: number[] = [];
    const rows = new Float32Array(CONFIG.batch * CONFIG.D).fill(1);
    await trainer.trainOn(
      Array.from({ length: 12 }, () => rows),
      { metricsEvery: 50, onMetrics: (m) => steps.push(m.step) },
    );
    assert.equal(steps, [1, 2, 4, 8], 'a run of 12 steps shows its ELBO from step 1');
  } finally {
    trainer.destroy();
  }
});

test.run();
