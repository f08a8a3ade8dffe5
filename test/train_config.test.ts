// TrainConfig's one table of fields (src/train/train_config.ts): the defaults it gives pass its validation, and
// every out-of-range value is refused with a message naming the field, the range and the value.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DEFAULT_TRAIN_CONFIG,
  TRAIN_CONFIG_FIELDS,
  validateTrainConfig,
  type TrainConfig,
} from '../src/train/train_config.ts';

function refusal(change: Partial<Record<keyof TrainConfig, unknown>>): string {
  try {
    validateTrainConfig({ ...DEFAULT_TRAIN_CONFIG, ...change } as TrainConfig);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(change)} was accepted`);
}

test("the defaults are the table's and pass validation", () => {
  assert.equal(Object.keys(DEFAULT_TRAIN_CONFIG), Object.keys(TRAIN_CONFIG_FIELDS));
  assert.equal(DEFAULT_TRAIN_CONFIG.hidden, [500]);
  assert.is(DEFAULT_TRAIN_CONFIG.lr, null);
  assert.is(DEFAULT_TRAIN_CONFIG.optimizer, 'adam');
  validateTrainConfig(DEFAULT_TRAIN_CONFIG);
  validateTrainConfig({ ...DEFAULT_TRAIN_CONFIG, lr: 0.5, hidden: [], seed: 0, klWarmup: 0, weightDecay: 0, beta: 0 });
  validateTrainConfig({ ...DEFAULT_TRAIN_CONFIG, objective: 'iwae', samplesPerPoint: 5, likelihood: 'gaussian' });
  const { minLogVariance: _, ...older } = DEFAULT_TRAIN_CONFIG; // a config written before the floor existed
  validateTrainConfig(older);
});

for (const [change, expected] of [
  [{ latent: 0 }, 'latent must be an integer from 1 to 4096, got 0'],
  [{ latent: 4097 }, 'latent must be an integer from 1 to 4096, got 4097'],
  [{ batch: 2.5 }, 'batch must be an integer from 1 to 65535, got 2.5'],
  [{ D: '784' }, "D must be an integer from 1 to 16777216, got '784'"],
  [{ hidden: [500, 0] }, 'hidden[1] must be an integer from 1 to 65536, got 0'],
  [{ hidden: 500 }, 'hidden must be a list of widths, got 500'],
  [{ latent: undefined }, 'latent must be an integer from 1 to 4096, got undefined'],
  [{ activation: 'swish' }, "activation must be one of identity, tanh, relu, softplus, sigmoid, got 'swish'"],
  [{ init: 'zeros' }, "init must be one of pytorch, glorot, paper, got 'zeros'"],
  [{ optimizer: 'rmsprop' }, "optimizer must be one of adam, adagrad, sgd, got 'rmsprop'"],
  [{ lr: 0 }, 'lr must be a number in (0, 10), got 0'],
  [{ lr: 10 }, 'lr must be a number in (0, 10), got 10'],
  [{ weightDecay: -1 }, 'weightDecay must be a finite number ≥ 0, got -1'],
  [{ beta: Number.NaN }, 'beta must be a finite number ≥ 0, got NaN'],
  [{ klWarmup: -1 }, 'klWarmup must be an integer ≥ 0, got -1'],
  [{ seed: 2 ** 53 }, 'seed must be an integer ≥ 0, got 9007199254740992'],
  [{ estimator: 'C' }, "estimator must be one of A, B, got 'C'"],
  [{ likelihood: 'poisson' }, "likelihood must be one of bernoulli, gaussian, gaussian-shared-variance, got 'poisson'"],
  [
    { method: 'wake-sleep', objective: 'iwae', samplesPerPoint: 3 },
    'iwae objective is an SGVB bound: it does not apply to wake-sleep',
  ],
  [{ method: 'em' }, "method must be one of sgvb, wake-sleep, got 'em'"],
  [{ dequantize: 'gaussian' }, "dequantize must be one of none, uniform, got 'gaussian'"],
  [{ minLogVariance: -41 }, 'minLogVariance must be a number in [-40, 10), got -41'],
  [{ minLogVariance: Number.NEGATIVE_INFINITY }, 'minLogVariance must be a number in [-40, 10), got -Infinity'],
  [{ objective: 'iwae' }, 'the iwae objective needs samplesPerPoint (k) ≥ 2, got 1'],
  [{ batch: 1000, samplesPerPoint: 100 }, 'batch × samplesPerPoint must be an integer from 1 to 65535, got 100000'],
] as Array<[Partial<Record<keyof TrainConfig, unknown>>, string]>) {
  test(`${JSON.stringify(change)} is refused`, () => {
    const message = refusal(change);
    assert.ok(message.includes(expected), `expected '${expected}' in: ${message}`);
  });
}

test.run();
