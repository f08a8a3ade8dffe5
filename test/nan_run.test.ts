// Non-finite values in a training run (src/train/trainer.ts, src/run/training_run.ts, `aevb train`) are caught
// at the step where they appear, with their cause, and never reach a checkpoint:
//  - a NaN row at a known position of the data (no shuffling) stops the run at exactly that row's step, blamed on
//    the data, also when minibatches are binarized (which would make NaN a 0); the step is not run, and the
//    checkpoints before it are the last good ones;
//  - a learning rate so large the training overflows stops the run at the first step whose loss or parameters
//    were non-finite — found here independently, by reading every step back — although metrics are read only
//    every 50 steps; the error blames the training and suggests a smaller --lr; restoring the last checkpoint
//    then gives back a trainer that works;
//  - an optimizer state gone non-finite while the parameters stay finite is caught before a snapshot;
//  - `aevb train` with such a rate exits non-zero with that message, and its checkpoint on disk stays readable
//    and finite.
import * as assert from 'uvu/assert';
import { lastValueFrom, toArray } from 'rxjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gpuSuite } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { NonFiniteError, Trainer } from '../src/train/trainer.ts';
import type { SgvbStep } from '../src/train/sgvb_step.ts';
import type { TrainConfig } from '../src/train/train_config.ts';
import { testConfig } from './configs.ts';
import { memorySource } from '../src/data/memory_source.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../src/io/checkpoint_format.ts';
import { readCheckpoint } from '../src/io/checkpoint.node.ts';
import { trainingRun, type TrainingRunOptions } from '../src/run/training_run.ts';
import type { TrainingEvent } from '../src/run/training_events.ts';
import { runAevb } from './cli_process.ts';

const test = gpuSuite('nan_run');
const D = 16;
const B = 20;
const CONFIG = testConfig({
  D,
  hidden: [8],
  latent: 2,
  activation: 'tanh',
  init: 'glorot',
  batch: B,
  optimizer: 'adam',
  lr: 0.01,
  seed: 3,
});
/** Grey levels in [0, 1], fed unshuffled and unbinarized: minibatch k (from 0) is rows kB … kB + B − 1. */
const ROWS = 400;
const rows = () => Float32Array.from(seededUniform(5, ROWS * D));

interface Outcome {
  error: unknown;
  events: TrainingEvent[];
  /** What the sink was handed, each decoded as a resume would (the reader refuses NaN and ±Inf). */
  saved: Checkpoint[];
}

async function runToError(
  trainer: Trainer,
  options: Omit<TrainingRunOptions, 'checkpoints'>,
  every: number,
): Promise<Outcome> {
  const saved: Checkpoint[] = [];
  const events: TrainingEvent[] = [];
  let error: unknown = null;
  try {
    const checkpoints = {
      every,
      save: (c: Checkpoint) => {
        saved.push(decodeCheckpoint(encodeCheckpoint(c), `checkpoint at step ${c.snapshot.step}`));
      },
    };
    events.push(...(await lastValueFrom(trainingRun(trainer, { ...options, checkpoints }).pipe(toArray()))));
  } catch (e) {
    error = e;
  }
  return { error, events, saved };
}

function assertAllFinite(saved: Checkpoint[]): void {
  for (const c of saved) {
    for (const t of c.snapshot.tensors)
      assert.ok(t.data.every(Number.isFinite), `checkpoint at step ${c.snapshot.step}: '${t.name}' is finite`);
  }
}

for (const [row, value, binarize] of [
  [213, NaN, false],
  [39, Infinity, false],
  [0, -Infinity, false],
  [150, NaN, true],
] as const) {
  const step = Math.floor(row / B) + 1;
  test(`${value} in row ${row} stops the run at step ${step}, blamed on the data${binarize ? ' (binarizing)' : ''}; no checkpoint holds it`, async ({
    gpu,
  }) => {
    const data = rows();
    data[row * D + 7] = value;
    const trainer = await Trainer.create(CONFIG, { gpu });
    try {
      const { error, saved } = await runToError(
        trainer,
        { source: memorySource(data, { D }), epochs: 2, shuffleWindow: 1, binarize, metricsEvery: 50 },
        4,
      );
      assert.instance(error, NonFiniteError);
      const e = error as NonFiniteError;
      assert.is(e.step, step);
      assert.is(e.origin, 'data');
      assert.match(
        e.message,
        `the minibatch of step ${step} holds ${value} (row ${row % B} of the minibatch, value 7): the data is not finite`,
      );
      assert.is(trainer.step, step - 1, 'the step with the bad minibatch was not run');
      assertAllFinite(saved);
      const expected = Array.from({ length: Math.floor((step - 1) / 4) }, (_, k) => 4 * (k + 1));
      assert.equal(
        saved.map((c) => c.snapshot.step),
        expected,
        'every cadence checkpoint before the bad step, none after',
      );
      // The model is still the good model of step − 1: a snapshot works and is finite.
      assertAllFinite([{ snapshot: await trainer.snapshot(), run: null }]);
    } finally {
      trainer.destroy();
    }
  });
}

/**
 * The first step whose minibatch ELBO or parameters are non-finite, found by running the same minibatches one
 * step at a time and reading the metrics and every parameter back after each (no use of the GPU flags).
 */
async function firstDivergentStep(config: TrainConfig, data: Float32Array, gpu: Trainer['gpu']): Promise<number> {
  const trainer = await Trainer.create(config, { gpu });
  try {
    let lossStep = Infinity;
    trainer.watchMetrics((m) => {
      if (!Number.isFinite(m.elbo)) lossStep = Math.min(lossStep, m.step);
    });
    trainer.metricsEvery = 1;
    for (let k = 0; k < ROWS / B; k++) {
      const step = await trainer.enqueueStep(data.slice(k * B * D, (k + 1) * B * D));
      try {
        await trainer.settle(); // every read-back has reached the listener before settle() looks at the flags
      } catch (error) {
        if (!(error instanceof NonFiniteError)) throw error;
      }
      const params = await trainer.model.parameters();
      const paramsBad = params.some((t) => !t.data.every(Number.isFinite));
      if (paramsBad || lossStep <= step) return Math.min(lossStep, paramsBad ? step : Infinity);
    }
    throw new Error('the learning rate never made the training diverge');
  } finally {
    trainer.destroy();
  }
}

test('a learning rate that overflows the training stops the run at the first non-finite step, blamed on the training', async ({
  gpu,
}) => {
  const config: TrainConfig = { ...CONFIG, optimizer: 'sgd', lr: 9.9 };
  const data = rows();
  const expected = await firstDivergentStep(config, data, gpu);
  assert.ok(expected > 5 && expected < 50, `diverges between two metrics read-backs (at step ${expected})`);
  const trainer = await Trainer.create(config, { gpu });
  try {
    const { error, saved, events } = await runToError(
      trainer,
      { source: memorySource(data, { D }), epochs: 1, shuffleWindow: 1, binarize: false, metricsEvery: 50 },
      5,
    );
    assert.instance(error, NonFiniteError);
    const e = error as NonFiniteError;
    assert.is(e.origin, 'training');
    assert.is(e.step, expected, 'the true step, not a read-back step');
    assert.match(
      e.message,
      `at step ${expected}, whose minibatch was finite: training diverged (sgd, lr 9.9). Try a smaller --lr.`,
    );
    assert.ok(!events.some((ev) => ev.type === 'metrics'), 'no read-back happened before the error');
    assertAllFinite(saved);
    assert.equal(
      saved.map((c) => c.snapshot.step),
      Array.from({ length: Math.floor((expected - 1) / 5) }, (_, k) => 5 * (k + 1)),
    );
    // The way back: restoring the last good checkpoint clears the flags, and the trainer is that checkpoint again.
    const good = saved.at(-1)!.snapshot;
    await trainer.restore(good);
    assert.is(trainer.step, good.step);
    const again = await trainer.snapshot();
    assert.equal(
      again.tensors.map((t) => Array.from(t.data)),
      good.tensors.map((t) => Array.from(t.data)),
    );
  } finally {
    trainer.destroy();
  }
});

test('an optimizer state gone non-finite while the parameters stay finite is caught before any snapshot', async ({
  gpu,
}) => {
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    const data = rows();
    for (let k = 0; k < 3; k++) await trainer.enqueueStep(data.slice(k * B * D, (k + 1) * B * D));
    // Adam's v at +Inf (as a gradient past 1.8e19 would make it): that parameter's update becomes 0, so the
    // parameters and the loss stay finite and only the state check before a snapshot can see it.
    const { sgvb } = trainer as unknown as { sgvb: SgvbStep };
    gpu.device.queue.writeBuffer(sgvb.optimizerState.v, 4 * 5, new Float32Array([Infinity]));
    await trainer.enqueueStep(data.slice(3 * B * D, 4 * B * D));
    const params = await trainer.model.parameters();
    assert.ok(
      params.every((t) => t.data.every(Number.isFinite)),
      'the parameters are still finite',
    );
    let error: unknown = null;
    try {
      await trainer.snapshot();
    } catch (e) {
      error = e;
    }
    assert.instance(error, NonFiniteError);
    assert.is((error as NonFiniteError).step, 4);
    assert.match(
      (error as Error).message,
      'the optimizer state was found non-finite (NaN or ±Inf) after step 4, the parameters and the minibatch ELBO still finite',
    );
  } finally {
    trainer.destroy();
  }
});

test('aevb train with a diverging --lr exits 1 naming the step and the fix; its last checkpoint is finite', async () => {
  const out = mkdtempSync(join(tmpdir(), 'aevb-nan-'));
  try {
    const args = [
      'train',
      '--data',
      'synthetic:2000x16',
      '--hidden',
      '8',
      '--latent',
      '2',
      '--batch',
      '20',
      '--optimizer',
      'sgd',
      '--lr',
      '9.9',
      '--checkpoint-every',
      '3',
      '--out',
      out,
    ];
    const result = await runAevb(args, 120_000);
    assert.is(result.code, 1, result.stderr);
    const match =
      /became non-finite \(NaN or ±Inf\) at step (\d+), whose minibatch was finite: training diverged \(sgd, lr 9.9\)\. Try a smaller --lr\./.exec(
        result.stderr,
      );
    assert.ok(match, result.stderr);
    const step = Number(match![1]);
    const checkpoint = readCheckpoint(out);
    assert.ok(
      checkpoint.snapshot.step < step && checkpoint.snapshot.step >= step - 3,
      `the last checkpoint (step ${checkpoint.snapshot.step}) is within one interval before step ${step}`,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
