// The library's training run (src/run/training_run.ts) on the GPU with a tiny model and rows in memory: the
// events arrive in order; a stop through the AbortSignal leaves a readable checkpoint; a run resumed from any
// checkpoint — mid-epoch or on an epoch's last minibatch — continues with exactly the minibatches (and so the
// minibatch ELBOs, bit for bit) of an uninterrupted run; settings that would change the minibatches are refused.
import * as assert from 'uvu/assert';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { gpuSuite, rejectsWith } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { Trainer } from '../src/train/trainer.ts';
import { testConfig } from './configs.ts';
import { memorySource } from '../src/data/memory_source.ts';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../src/io/checkpoint_format.ts';
import { trainingRun, type TrainingRunOptions } from '../src/run/training_run.ts';
import { fit } from '../src/run/fit.ts';
import type { TrainingEvent } from '../src/run/training_events.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { validationUniform } from '../src/data/validation_split.ts';
import { fractionHoldingOut } from '../src/run/validation_rows.ts';

const test = gpuSuite('training_run');
const CONFIG = testConfig({
  D: 10,
  hidden: [8],
  latent: 2,
  activation: 'tanh',
  init: 'glorot',
  batch: 5,
  optimizer: 'adam',
  lr: 0.01,
  seed: 9,
});
const ROWS = 32; // 6 minibatches of 5 per epoch, 2 rows dropped
const rows = Float32Array.from(seededUniform(21, ROWS * CONFIG.D));
const testRows = Float32Array.from(seededUniform(22, 20 * CONFIG.D)).map((u) => (u < 0.5 ? 1 : 0));
const base = (): TrainingRunOptions => ({
  source: memorySource(rows, { D: CONFIG.D }),
  epochs: 3,
  shuffleWindow: 16,
  metricsEvery: 1,
  evaluate: { test: testRows },
});

/** Runs to completion and returns every event; checkpoints are kept in memory, as encoded bytes. */
async function run(trainer: Trainer, options: TrainingRunOptions, saved: Checkpoint[] = []): Promise<TrainingEvent[]> {
  return lastValueFrom(
    trainingRun(trainer, {
      ...options,
      checkpoints: {
        every: options.checkpoints?.every,
        save: (c) => {
          saved.push(decodeCheckpoint(encodeCheckpoint(c), 'memory'));
        },
      },
    }).pipe(toArray()),
  );
}

const elbos = (events: TrainingEvent[]) => events.flatMap((e) => (e.type === 'metrics' ? [[e.step, e.elbo]] : []));

async function resumedFrom(
  gpu: GpuContext,
  checkpoint: Checkpoint,
  options: TrainingRunOptions,
): Promise<TrainingEvent[]> {
  const trainer = await Trainer.create(checkpoint.snapshot.config, { gpu });
  try {
    await trainer.restore(checkpoint.snapshot);
    return await run(trainer, { ...options, resume: checkpoint.run! });
  } finally {
    trainer.destroy();
  }
}

/** An uninterrupted run of 3 epochs, checkpointed every 4 steps: what the resumed runs are compared with. */
interface StraightRun {
  events: TrainingEvent[];
  checkpoints: Checkpoint[];
}
let straightRun: Promise<StraightRun> | undefined;

/** The uninterrupted run, made by the first test that asks for it (so each test also runs on its own). */
function straightRunOn(gpu: GpuContext): Promise<StraightRun> {
  straightRun ??= (async () => {
    const trainer = await Trainer.create(CONFIG, { gpu });
    const checkpoints: Checkpoint[] = [];
    try {
      return {
        events: await run(trainer, { ...base(), checkpoints: { every: 4, save: () => {} } }, checkpoints),
        checkpoints,
      };
    } finally {
      trainer.destroy();
    }
  })();
  return straightRun;
}

test('events arrive in order: start, steps with their metrics, evaluation and epoch, checkpoint, done', async ({
  gpu,
}) => {
  const { events: straight, checkpoints: straightCheckpoints } = await straightRunOn(gpu);
  const types = straight.map((e) => e.type);
  assert.is(types[0], 'start');
  assert.is(types.at(-1), 'done');
  assert.is(straight.filter((e) => e.type === 'step').length, 18);
  const steps = straight.flatMap((e) => (e.type === 'step' ? [e.step] : []));
  assert.equal(
    steps,
    Array.from({ length: 18 }, (_, i) => i + 1),
  );
  const epochs = straight.flatMap((e) => (e.type === 'epoch' ? [e] : []));
  assert.equal(
    epochs.map((e) => [e.epoch, e.step, e.ended, e.stepsPerEpoch]),
    [
      [1, 6, true, 6],
      [2, 12, true, 6],
      [3, 18, true, 6],
    ],
  );
  for (const e of epochs) {
    const at = straight.indexOf(e);
    assert.is(straight[at - 1].type, 'evaluation', 'each epoch event follows its evaluation');
    assert.ok(Number.isFinite(e.evaluations.test.elbo) && e.evaluations.test.rows === 20);
    assert.ok(
      straight.slice(at + 1).every((later) => later.type !== 'step' || later.step > e.step),
      'no step of the epoch comes after it',
    );
  }
  // Checkpoints at steps 4, 8, 12, 16 (cadence) and 6, 12, 18 (epoch ends), each step once.
  assert.equal(
    straight.flatMap((e) => (e.type === 'checkpoint' ? [e.step] : [])),
    [4, 6, 8, 12, 16, 18],
  );
  assert.equal(
    straightCheckpoints.map((c) => [c.snapshot.step, c.run!.position.epoch, c.run!.position.index]),
    [
      [4, 0, 4],
      [6, 1, 0],
      [8, 1, 2],
      [12, 2, 0],
      [16, 2, 4],
      [18, 3, 0],
    ],
  );
  const done = straight.at(-1)!;
  assert.ok(done.type === 'done' && done.reason === 'finished' && done.step === 18 && done.state.stepsPerEpoch === 6);
  assert.is(elbos(straight).length, 18);
});

test('a run resumed mid-epoch continues with the same minibatch ELBOs, bit for bit', async ({ gpu }) => {
  const { events: straight, checkpoints: straightCheckpoints } = await straightRunOn(gpu);
  const at8 = straightCheckpoints.find((c) => c.snapshot.step === 8)!;
  const resumed = await resumedFrom(gpu, at8, base());
  const start = resumed[0];
  assert.ok(start.type === 'start' && start.resumed && start.step === 8);
  assert.equal(
    elbos(resumed),
    elbos(straight).filter(([step]) => step > 8),
  );
});

test("a checkpoint taken on an epoch's last minibatch resumes at the next epoch", async ({ gpu }) => {
  // Checkpointing every 3 steps puts one at step 6, the last of epoch 1, recorded as (epoch 1, index 0).
  const trainer = await Trainer.create(CONFIG, { gpu });
  const saved: Checkpoint[] = [];
  try {
    await run(trainer, { ...base(), epochs: 1, checkpoints: { every: 3, save: () => {} } }, saved);
  } finally {
    trainer.destroy();
  }
  const last = saved.at(-1)!;
  assert.equal([last.snapshot.step, last.run!.position], [6, { epoch: 1, index: 0, step: 7 }]);
  const resumed = await resumedFrom(gpu, last, base());
  const { events: straight } = await straightRunOn(gpu);
  assert.equal(
    elbos(resumed),
    elbos(straight).filter(([step]) => step > 6),
  );
});

test('a stop through the signal finishes the queued steps, saves a readable checkpoint, then reports stopped and done', async ({
  gpu,
}) => {
  const trainer = await Trainer.create(CONFIG, { gpu });
  const stop = new AbortController();
  const saved: Checkpoint[] = [];
  let events: TrainingEvent[];
  try {
    events = await lastValueFrom(
      trainingRun(trainer, {
        ...base(),
        signal: stop.signal,
        checkpoints: {
          save: (c) => {
            saved.push(decodeCheckpoint(encodeCheckpoint(c), 'memory'));
            return 'in memory';
          },
        },
      }).pipe(
        tap((e) => {
          if (e.type === 'step' && e.step === 8) stop.abort();
        }),
        toArray(),
      ),
    );
  } finally {
    trainer.destroy();
  }
  const tail = events.slice(events.findIndex((e) => e.type === 'stopped'));
  assert.equal(
    tail.map((e) => e.type),
    ['stopped', 'checkpoint', 'done'],
  );
  const last = events.filter((e) => e.type === 'step').at(-1)!;
  assert.is(last.step, 8, 'no minibatch is taken after the stop');
  const done = tail[2];
  assert.ok(done.type === 'done' && done.reason === 'stopped' && done.step === 8);
  assert.is(tail[1].type === 'checkpoint' && tail[1].location, 'in memory');
  assert.equal(saved.at(-1)!.run!.position, { epoch: 1, index: 2, step: 9 });
  const resumed = await resumedFrom(gpu, saved.at(-1)!, base());
  const { events: straight } = await straightRunOn(gpu);
  assert.equal(
    elbos(resumed),
    elbos(straight).filter(([step]) => step > 8),
  );
});

test('a resume that would change the minibatches, or a trained trainer without its run state, is refused', async ({
  gpu,
}) => {
  const { checkpoints: straightCheckpoints } = await straightRunOn(gpu);
  const at8 = straightCheckpoints.find((c) => c.snapshot.step === 8)!;
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    await trainer.restore(at8.snapshot);
    const refusal = async (options: TrainingRunOptions) => {
      try {
        await run(trainer, options);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    assert.match(
      await refusal({ ...base(), shuffleWindow: 17, resume: at8.run! }),
      'streamed with shuffleWindow 16, not 17',
    );
    assert.match(await refusal(base()), 'the trainer has already trained 8 steps');
    assert.match(
      await refusal({ ...base(), resume: straightCheckpoints[0].run! }),
      'continues at step 5, but the trainer has trained 8 steps',
    );
  } finally {
    trainer.destroy();
  }
});

test('a second run on the same trainer continues the first, epochs counted from the call, as fit() does', async ({
  gpu,
}) => {
  const { events: straight } = await straightRunOn(gpu);
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    const first = await run(trainer, { ...base(), epochs: 1 });
    const second = await run(trainer, { ...base(), epochs: 2 });
    assert.is(trainer.step, 18, '1 epoch of 6 steps, then 2 more');
    assert.equal(
      [...elbos(first), ...elbos(second)],
      elbos(straight),
      'the same minibatches as one run of 3 epochs, bit for bit',
    );
    const done = second.at(-1)!;
    assert.ok(done.type === 'done' && done.reason === 'finished' && done.state.position.epoch === 3);
    // Steps count from the call too, and a third call picks up mid-epoch.
    const third = await run(trainer, { ...base(), epochs: undefined, steps: 4 });
    assert.equal(
      third.filter((e) => e.type === 'step').map((e) => e.type === 'step' && [e.epoch, e.index]),
      [
        [3, 0],
        [3, 1],
        [3, 2],
        [3, 3],
      ],
    );
  } finally {
    trainer.destroy();
  }
});

test('fit() resolves with the history of a run: metrics, evaluations and epochs in order, and done', async ({
  gpu,
}) => {
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    const seen: string[] = [];
    const history = await fit(trainer, { ...base(), epochs: 2 }, (e) => seen.push(e.type));
    assert.equal(
      history.metrics.map((m) => m.step),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    assert.equal(
      history.epochs.map((e) => [e.epoch, e.step]),
      [
        [1, 6],
        [2, 12],
      ],
    );
    assert.equal(
      history.evaluations.map((e) => e.step),
      [6, 12],
    );
    assert.is(history.done.reason, 'finished');
    assert.is(seen.at(-1), 'done');
    assert.is(seen.filter((t) => t === 'step').length, 12);
  } finally {
    trainer.destroy();
  }
});

test('a run whose plan is complete trains nothing and says done', async ({ gpu }) => {
  const { checkpoints: straightCheckpoints } = await straightRunOn(gpu);
  const end = straightCheckpoints.at(-1)!;
  const events = await resumedFrom(gpu, end, base());
  assert.equal(
    events.map((e) => e.type).filter((t) => t !== 'checkpoint'),
    ['start', 'done'],
  );
});

/** The layout's tensors of a snapshot or a model (optimizer state left out), by name. */
const parametersOf = (tensors: readonly { name: string; data: Float32Array }[], names: Set<string>) =>
  Object.fromEntries(tensors.filter((t) => names.has(t.name)).map((t) => [t.name, Array.from(t.data)]));

test('restoreBestWeights: a run that early stopping ends leaves the trainer, and its last checkpoint, with the best evaluation’s parameters', async ({
  gpu,
}) => {
  // minDelta far beyond any change: the first evaluation (step 2) is the best, and the run stops at step 6.
  const options: TrainingRunOptions = {
    ...base(),
    evaluate: { validation: testRows },
    evaluateEvery: 2,
    earlyStopping: { patience: 2, minDelta: 1e9 },
  };
  const outcome = async (restoreBestWeights: boolean) => {
    const trainer = await Trainer.create(CONFIG, { gpu });
    try {
      const bests: Checkpoint[] = [];
      const saved: Checkpoint[] = [];
      const events = await lastValueFrom(
        trainingRun(trainer, {
          ...options,
          restoreBestWeights,
          checkpoints: {
            save: (c) => void saved.push(decodeCheckpoint(encodeCheckpoint(c), 'memory')),
            saveBest: (c) => void bests.push(decodeCheckpoint(encodeCheckpoint(c), 'memory')),
          },
        }).pipe(toArray()),
      );
      const names = new Set(trainer.model.layout.entries.map((e) => e.name));
      return {
        done: events.at(-1)!,
        step: trainer.step,
        best: bests.map((b) => ({ step: b.snapshot.step, parameters: parametersOf(b.snapshot.tensors, names) })),
        final: parametersOf(await trainer.model.parameters(), names),
        lastCheckpoint: {
          step: saved.at(-1)!.snapshot.step,
          parameters: parametersOf(saved.at(-1)!.snapshot.tensors, names),
        },
      };
    } finally {
      trainer.destroy();
    }
  };
  const restored = await outcome(true);
  assert.ok(restored.done.type === 'done' && restored.done.reason === 'early-stopped');
  assert.is(restored.step, 6, 'the trainer keeps its step count');
  assert.equal(
    restored.best.map((b) => b.step),
    [2],
  );
  assert.equal(restored.final, restored.best[0].parameters, 'bit for bit the parameters of the best evaluation');
  assert.equal(restored.lastCheckpoint, { step: 6, parameters: restored.best[0].parameters });

  const kept = await outcome(false);
  assert.equal(kept.best, restored.best, 'the same run up to its end');
  assert.not.equal(kept.final, kept.best[0].parameters, 'without the option the last parameters stay');
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    await rejectsWith(() => fit(trainer, { ...base(), restoreBestWeights: true }), /give earlyStopping too/);
  } finally {
    trainer.destroy();
  }
});

test('validationSplit holds out the seed’s rows as the evaluation set validation, never trained on, as --validation-split does', async ({
  gpu,
}) => {
  const held = Array.from({ length: ROWS }, (_, i) => validationUniform(CONFIG.seed, i) < 0.25).filter(Boolean).length;
  assert.ok(held > 0 && held < ROWS, `the seed holds out some rows (${held})`);
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    const history = await fit(trainer, {
      ...base(),
      epochs: 2,
      validationSplit: 0.25,
      earlyStopping: { patience: 5 },
    });
    const stepsPerEpoch = Math.floor((ROWS - held) / CONFIG.batch);
    assert.equal(
      history.epochs.map((e) => e.step),
      [stepsPerEpoch, 2 * stepsPerEpoch],
      `${ROWS - held} training rows a pass`,
    );
    assert.equal(
      history.evaluations.map((e) => [e.results.validation.rows, e.results.test.rows]),
      [
        [held, 20],
        [held, 20],
      ],
    );
    await rejectsWith(
      () => fit(trainer, { ...base(), validationSplit: 0.25, evaluate: { validation: testRows } }),
      /both validationSplit and an evaluation set named 'validation'/,
    );
  } finally {
    trainer.destroy();
  }
});

test('validationSplit as a row count holds out exactly that many rows, those of the smallest uniforms', async ({
  gpu,
}) => {
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    const history = await fit(trainer, { ...base(), epochs: 1, validationSplit: 7 });
    assert.equal(
      history.evaluations.map((e) => e.results.validation.rows),
      [7],
    );
    assert.is(history.epochs[0].step, Math.floor((ROWS - 7) / CONFIG.batch), '25 training rows: 5 minibatches');
    // The same rows as the share between the 7th and 8th smallest uniforms holds out.
    const sorted = Array.from({ length: ROWS }, (_, i) => validationUniform(CONFIG.seed, i)).sort((a, b) => a - b);
    assert.is(
      await fractionHoldingOut(memorySource(rows, { D: CONFIG.D }), 7, CONFIG.seed),
      (sorted[6] + sorted[7]) / 2,
    );
    await rejectsWith(
      () => fit(trainer, { ...base(), validationSplit: ROWS }),
      /would hold out every row of .* \(it has 32\)/,
    );
    await rejectsWith(() => fit(trainer, { ...base(), validationSplit: 2.5 }), /must be a whole number ≥ 1, got 2.5/);
  } finally {
    trainer.destroy();
  }
});

test.run();
