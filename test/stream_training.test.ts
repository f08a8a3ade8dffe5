// End to end on the GPU: training streamed from an on-the-fly .npy file and from the same rows split into a
// directory of shards gives identical models (same rows, same order, same minibatches); the steps and their
// positions line up; bytes made into the step's input on the GPU (step_input) train exactly the model the same
// rows as floats prepared on the CPU train; data with the wrong row length is refused before training.
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { gpuSuite } from './gpu_suite.ts';
import { npyBytes } from './npy_writer.ts';
import { seededUniform } from './seeded_random.ts';
import { Trainer } from '../src/train/trainer.ts';
import { testConfig } from './configs.ts';
import { fileSource } from '../src/data/file_source.node.ts';
import type { RowSource } from '../src/data/row_source.ts';
import { trainingRun } from '../src/run/training_run.ts';
import type { RunStepEvent } from '../src/run/training_events.ts';
import { memorySource } from '../src/data/memory_source.ts';

const test = gpuSuite('stream_training');
const D = 12;
const ROWS = 70;
const CONFIG = testConfig({
  D,
  hidden: [8],
  latent: 2,
  activation: 'tanh',
  init: 'glorot',
  batch: 10,
  optimizer: 'adam',
  lr: 0.01,
  seed: 5,
});
const values = seededUniform(77, ROWS * D);

const dir = mkdtempSync(join(tmpdir(), 'aevb-stream-'));
writeFileSync(join(dir, 'all.npy'), npyBytes('<f4', [ROWS, D], values));
mkdirSync(join(dir, 'shards'));
writeFileSync(join(dir, 'shards', 'part-0.npy'), npyBytes('<f4', [25, D], values.subarray(0, 25 * D)));
writeFileSync(join(dir, 'shards', 'part-1.npy'), npyBytes('<f4', [45, D], values.subarray(25 * D)));

/** Trains 2 epochs from `source` (7 minibatches each) and returns the steps' positions and the parameters. */
async function trainFrom(source: RowSource, gpu: Trainer['gpu']) {
  const trainer = await Trainer.create(CONFIG, { gpu, ringSlots: 2 });
  try {
    const events = await lastValueFrom(
      trainingRun(trainer, { source, shuffleWindow: 16, binarize: true, epochs: 2 }).pipe(toArray()),
    );
    const batches = events.filter((e): e is RunStepEvent => e.type === 'step');
    const snapshot = await trainer.snapshot();
    return {
      positions: batches.map((b) => [b.epoch, b.index, b.step]),
      step: trainer.step,
      params: snapshot.tensors.filter((t) => !t.name.startsWith('optimizer.')),
    };
  } finally {
    trainer.destroy();
  }
}

test('a .npy file and the same rows in shards train identical models', async ({ gpu }) => {
  const single = await trainFrom(fileSource(join(dir, 'all.npy')), gpu);
  const sharded = await trainFrom(fileSource(join(dir, 'shards')), gpu);
  assert.is(single.step, 14);
  assert.equal(single.positions.slice(0, 8), [
    [0, 0, 1],
    [0, 1, 2],
    [0, 2, 3],
    [0, 3, 4],
    [0, 4, 5],
    [0, 5, 6],
    [0, 6, 7],
    [1, 0, 8],
  ]);
  assert.equal(sharded.positions, single.positions);
  for (let i = 0; i < single.params.length; i++) {
    assert.equal(Array.from(sharded.params[i].data), Array.from(single.params[i].data), single.params[i].name);
  }
  assert.not.equal(
    Array.from(single.params[0].data),
    Array.from(
      (
        await Trainer.create(CONFIG, { gpu }).then(async (t) => {
          const s = await t.snapshot();
          t.destroy();
          return s;
        })
      ).tensors[0].data,
    ),
    'training changed the parameters',
  );
});

for (const [binarize, L] of [
  [true, 1],
  [false, 1],
  [true, 3],
] as const) {
  test(`bytes through the GPU's step_input and the same rows as floats through the CPU train identical models (binarize ${binarize}, L = ${L})`, async ({
    gpu,
  }) => {
    const bytes = Uint8Array.from(values, (v) => Math.round(v * 255));
    const train = async (source: RowSource) => {
      const trainer = await Trainer.create({ ...CONFIG, samplesPerPoint: L }, { gpu, ringSlots: 2 });
      try {
        await lastValueFrom(trainingRun(trainer, { source, shuffleWindow: 16, binarize, epochs: 2 }));
        return (await trainer.snapshot()).tensors;
      } finally {
        trainer.destroy();
      }
    };
    const onGpu = await train(memorySource(bytes, { D, blockRows: 9 }));
    // The floats each byte scales to, exactly as the Batcher's byte table has them: the CPU's StepInput path.
    const onCpu = await train(
      memorySource(
        Float32Array.from(bytes, (k) => k * (1 / 255)),
        { D, blockRows: 9 },
      ),
    );
    assert.is(onGpu.length, onCpu.length);
    for (let i = 0; i < onGpu.length; i++)
      assert.equal(Array.from(onGpu[i].data), Array.from(onCpu[i].data), onGpu[i].name);
  });
}

test('a run on rows of another length is refused before its first step, naming the source and both lengths', async ({
  gpu,
}) => {
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    const source = memorySource(new Uint8Array(30 * (D + 1)), { D: D + 1, name: 'wide.npy' });
    const message = await lastValueFrom(trainingRun(trainer, { source, epochs: 1 })).then(
      () => '',
      (e: Error) => e.message,
    );
    assert.match(message, `wide.npy: rows have ${D + 1} values, but the model was made for D = ${D}`);
    assert.is(trainer.step, 0);
  } finally {
    trainer.destroy();
  }
});

test('a minibatch of the wrong row length is refused by the trainer, naming B and D', async ({ gpu }) => {
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    let message = '';
    try {
      await trainer.enqueueStep(new Float32Array(CONFIG.batch * (D + 1)));
    } catch (e) {
      message = (e as Error).message;
    }
    assert.match(message, `a minibatch must hold B·D = 10·12 = 120 floats, got 130`);
  } finally {
    trainer.destroy();
  }
});

test.run();
