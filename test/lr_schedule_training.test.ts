// The learning-rate schedule reaches the optimizer kernels step by step, and travels in the checkpoint: with a
// warm-up of 2 steps, SGD's first step at rate lr equals a constant-rate step at lr/2, bit for bit; its second
// step does not; and a trainer restored from a checkpoint continues the schedule where it was.
import * as assert from 'uvu/assert';
import { gpuSuite } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { Trainer } from '../src/train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../src/train/train_config.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint_format.ts';

const test = gpuSuite('lr_schedule_training');
const BASE: TrainConfig = {
  ...DEFAULT_TRAIN_CONFIG,
  D: 9,
  hidden: [6],
  latent: 2,
  batch: 4,
  optimizer: 'sgd',
  lr: 0.1,
  seed: 4,
};
const BATCHES = [0, 1, 2, 3].map((i) =>
  Float32Array.from(seededUniform(30 + i, BASE.batch * BASE.D), (u) => (u < 0.5 ? 1 : 0)),
);

async function parametersAfter(gpu: Trainer['gpu'], config: TrainConfig, steps: number): Promise<Float32Array> {
  const trainer = await Trainer.create(config, { gpu });
  try {
    await trainer.trainOn(BATCHES.slice(0, steps));
    return Float32Array.from((await trainer.model.parameters()).flatMap((t) => Array.from(t.data)));
  } finally {
    trainer.destroy();
  }
}

test("a warm-up scales the first steps' rate: step 1 at lr with warmup=2 is step 1 at lr/2", async ({ gpu }) => {
  const warm = { ...BASE, lrSchedule: { kind: 'constant' as const, warmup: 2 } };
  const half = { ...BASE, lr: 0.05 };
  assert.equal(Array.from(await parametersAfter(gpu, warm, 1)), Array.from(await parametersAfter(gpu, half, 1)));
  assert.not.equal(Array.from(await parametersAfter(gpu, warm, 3)), Array.from(await parametersAfter(gpu, half, 3)));
});

test('a resumed trainer continues the schedule: 2 + 2 steps through a checkpoint equal 4 straight steps', async ({
  gpu,
}) => {
  const config: TrainConfig = { ...BASE, lrSchedule: { kind: 'step', every: 1, factor: 0.5 } };
  const straight = await parametersAfter(gpu, config, 4);
  const first = await Trainer.create(config, { gpu });
  const bytes = await first
    .trainOn(BATCHES.slice(0, 2))
    .then(async () => encodeCheckpoint({ snapshot: await first.snapshot(), run: null }));
  first.destroy();
  const checkpoint = decodeCheckpoint(bytes, 'memory');
  assert.equal(checkpoint.snapshot.config.lrSchedule, config.lrSchedule);
  const second = await Trainer.create(checkpoint.snapshot.config, { gpu });
  try {
    await second.restore(checkpoint.snapshot);
    await second.trainOn(BATCHES.slice(2, 4));
    const resumed = Float32Array.from((await second.model.parameters()).flatMap((t) => Array.from(t.data)));
    assert.equal(Array.from(resumed), Array.from(straight));
  } finally {
    second.destroy();
  }
});

test.run();
