// The paper's two SGVB estimators on one fixed model and minibatch (SGD with a learning rate of 1e-12, so the
// parameters do not move): estimator A (Monte-Carlo KL) and estimator B (analytic KL) agree in expectation —
// their means over many draws of ε differ by less than 4 standard errors — and A has the larger variance.
// L samples per datapoint average L draws: the variance of the minibatch estimate falls about L-fold.
import * as assert from 'uvu/assert';
import { gpuSuite } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { Trainer } from '../src/train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../src/train/train_config.ts';

const test = gpuSuite('estimators');
const STEPS = 400;
const CONFIG: TrainConfig = {
  ...DEFAULT_TRAIN_CONFIG,
  D: 20,
  hidden: [16],
  latent: 4,
  activation: 'tanh',
  init: 'glorot',
  batch: 8,
  optimizer: 'sgd',
  lr: 1e-12,
  seed: 12,
};
const batch = Float32Array.from(seededUniform(3, CONFIG.batch * CONFIG.D).map((u) => (u < 0.4 ? 1 : 0)));

async function estimates(gpu: Trainer['gpu'], config: TrainConfig): Promise<{ mean: number; variance: number }> {
  const trainer = await Trainer.create(config, { gpu });
  try {
    const values: number[] = [];
    await trainer.trainOn(
      Array.from({ length: STEPS }, () => batch),
      { metricsEvery: 1, onMetrics: (m) => values.push(m.elbo) },
    );
    assert.is(values.length, STEPS);
    const mean = values.reduce((a, v) => a + v, 0) / STEPS;
    const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (STEPS - 1);
    return { mean, variance };
  } finally {
    trainer.destroy();
  }
}

test('estimators A and B agree in expectation; A has the larger variance', async ({ gpu }) => {
  const b = await estimates(gpu, { ...CONFIG, estimator: 'B' });
  const a = await estimates(gpu, { ...CONFIG, estimator: 'A' });
  const standardError = Math.sqrt(a.variance / STEPS + b.variance / STEPS);
  console.log(
    `  estimator B: mean ELBO ${b.mean.toFixed(3)}, variance ${b.variance.toFixed(4)}; estimator A: mean ${a.mean.toFixed(3)}, variance ${a.variance.toFixed(4)}; SE of the difference ${standardError.toFixed(3)}`,
  );
  assert.ok(
    Math.abs(a.mean - b.mean) < 4 * standardError,
    `means ${a.mean} vs ${b.mean} differ by more than 4 SE (${standardError})`,
  );
  assert.ok(a.variance > b.variance, `variance A ${a.variance} ≤ B ${b.variance}`);
});

test('L = 4 samples per datapoint: the same mean, about a quarter of the variance', async ({ gpu }) => {
  const one = await estimates(gpu, { ...CONFIG, samplesPerPoint: 1 });
  const four = await estimates(gpu, { ...CONFIG, samplesPerPoint: 4 });
  const standardError = Math.sqrt(one.variance / STEPS + four.variance / STEPS);
  assert.ok(Math.abs(one.mean - four.mean) < 4 * standardError, `means ${one.mean} vs ${four.mean}`);
  const ratio = four.variance / one.variance;
  assert.ok(ratio > 0.15 && ratio < 0.4, `variance ratio L=4 / L=1 is ${ratio}, expected about 0.25`);
});

test.run();
