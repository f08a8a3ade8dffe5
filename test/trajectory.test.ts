// One trajectory: a tiny VAE, a fixed seed and fixed data, 20 Adam steps through the Trainer. The minibatch
// ELBO of every step must match the sequence recorded below, and the same run stopped after step 10,
// checkpointed to disk, and resumed in a fresh Trainer must continue with exactly the same numbers.
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertClose } from './assert_close.ts';
import { gpuSuite } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { Trainer } from '../src/train/trainer.ts';
import { testConfig } from './configs.ts';
import { readCheckpoint, writeCheckpoint } from '../src/io/checkpoint.node.ts';

const test = gpuSuite('trajectory');

const CONFIG = testConfig({
  D: 12,
  hidden: [8],
  latent: 3,
  activation: 'tanh',
  init: 'glorot',
  batch: 5,
  optimizer: 'adam',
  lr: 0.01,
  seed: 3,
});
const STEPS = 20;
const BATCHES = Array.from({ length: STEPS }, (_, i) =>
  Float32Array.from(seededUniform(1000 + i, CONFIG.batch * CONFIG.D).map((u) => (u < 0.4 ? 1 : 0))),
);

// Recorded on lavapipe (Mesa 25.0.7) with `node --import tsx test/trajectory.test.ts` and RECORD=1.
const RECORDED_ELBO = [
  -9.914936065673828, -9.101180076599121, -9.30729866027832, -8.585816383361816, -8.935308456420898, -8.99832820892334,
  -8.94135570526123, -9.337267875671387, -8.329200744628906, -8.546825408935547, -9.168465614318848, -8.61266040802002,
  -8.672879219055176, -8.436755180358887, -8.418929100036621, -8.804312705993652, -8.175222396850586,
  -8.714251518249512, -8.327011108398438, -8.246603012084961,
];

async function run(trainer: Trainer, from: number, to: number): Promise<number[]> {
  const elbo: number[] = [];
  await trainer.trainOn(BATCHES.slice(from, to), {
    metricsEvery: 1,
    onMetrics: (m) => (elbo[m.step - from - 1] = m.elbo),
  });
  return elbo;
}

test('20 steps follow the recorded ELBO sequence', async ({ gpu }) => {
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    const elbo = await run(trainer, 0, STEPS);
    if (process.env.RECORD) console.log(JSON.stringify(elbo));
    assert.is(elbo.length, STEPS);
    // Other adapters round float32 differently; 20 steps of a tiny model keep that well below 1e-3 nats.
    assertClose(elbo, RECORDED_ELBO, { atol: 1e-3, rtol: 1e-5, label: 'ELBO per step' });
  } finally {
    trainer.destroy();
  }
});

test('stopped at step 10, checkpointed and resumed, the run continues identically', async ({ gpu }) => {
  const straight = await Trainer.create(CONFIG, { gpu });
  const uninterrupted = await run(straight, 0, STEPS);
  straight.destroy();

  const dir = mkdtempSync(join(tmpdir(), 'aevb-trajectory-'));
  const first = await Trainer.create(CONFIG, { gpu });
  const before = await run(first, 0, 10);
  writeCheckpoint(dir, { snapshot: await first.snapshot(), run: null });
  first.destroy();
  assert.equal(readdirSync(dir), ['checkpoint.safetensors'], 'only the checkpoint, no temporary file left behind');

  const checkpoint = readCheckpoint(dir);
  const resumed = await Trainer.create(checkpoint.snapshot.config, { gpu });
  await resumed.restore(checkpoint.snapshot);
  assert.is(resumed.step, 10);
  const after = await run(resumed, 10, STEPS);
  resumed.destroy();
  // Same adapter, same numbers: bit for bit.
  assert.equal([...before, ...after], uninterrupted);
});

test.run();
