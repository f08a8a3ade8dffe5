// Checkpoints (src/io/safetensors.ts, checkpoint.node.ts) and Trainer.restore: a round trip keeps every
// tensor; a corrupt, truncated or mismatching checkpoint is refused with a message that says what is wrong,
// and refusing leaves the trainer as it was.
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gpuSuite, throwsWith } from './gpu_suite.ts';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.ts';
import { CHECKPOINT_FILE, readCheckpoint, writeCheckpoint } from '../src/io/checkpoint.node.ts';
import type { RunState } from '../src/run/run_state.ts';
import { Trainer } from '../src/train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/train/train_config.ts';
import { testConfig } from './configs.ts';

const test = gpuSuite('checkpoint');
const CONFIG = testConfig({
  D: 10,
  hidden: [6],
  latent: 2,
  activation: 'relu',
  init: 'pytorch',
  batch: 4,
  optimizer: 'adagrad',
  lr: null,
  seed: 9,
});

test('safetensors round-trips names, shapes, values and metadata, with 8-byte aligned data', () => {
  const tensors = [
    { name: 'a.weight', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) },
    { name: 'a.bias', shape: [3], data: Float32Array.from([-1, 0, 1e-30]) },
  ];
  const bytes = encodeSafetensors({ tensors, metadata: { note: 'hi' } });
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.is((8 + headerLength) % 8, 0);
  const back = decodeSafetensors(bytes, 'mem');
  assert.equal(back.metadata, { note: 'hi' });
  assert.equal(
    back.tensors.map((t) => [t.name, t.shape, Array.from(t.data)]),
    tensors.map((t) => [t.name, t.shape, Array.from(t.data)]),
  );
});

test('corrupt safetensors are refused with the file and what was expected', () => {
  const good = encodeSafetensors({ tensors: [{ name: 't', shape: [4], data: new Float32Array(4) }], metadata: {} });
  throwsWith(
    () => decodeSafetensors(good.subarray(0, 5), 'tiny.safetensors'),
    ['tiny.safetensors', 'at byte 0', '8-byte'],
  );
  throwsWith(
    () => decodeSafetensors(good.subarray(0, good.length - 4), 'cut.safetensors'),
    ['cut.safetensors', "tensor 't'", 'claims bytes 0–16 of a 12-byte data section'],
  );
  const garbled = Uint8Array.from(good);
  garbled[9] = 0x7b; // '{' inside the JSON
  throwsWith(() => decodeSafetensors(garbled, 'json.safetensors'), ['json.safetensors', 'at byte 8', 'JSON header']);
});

test('a checkpoint written and read back restores a trainer exactly', async ({ gpu }) => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-ckpt-'));
  const a = await Trainer.create(CONFIG, { gpu });
  await a.trainOn([new Float32Array(40).fill(1), new Float32Array(40).fill(0)]);
  const saved = await a.snapshot();
  const run: RunState = {
    position: { epoch: 1, index: 0, step: 3 },
    plan: {
      epochs: 4,
      steps: null,
      checkpointEvery: 0,
      shuffleWindow: 10,
      binarize: true,
      data: null,
      earlyStopping: null,
    },
    stepsPerEpoch: 2,
    earlyStopping: null,
  };
  writeCheckpoint(dir, { snapshot: saved, run });
  a.destroy();
  const checkpoint = readCheckpoint(dir);
  assert.equal(checkpoint.run, run);
  assert.equal(checkpoint.snapshot.config, { ...DEFAULT_TRAIN_CONFIG, ...CONFIG }); // the optional fields it leaves out read back at their defaults
  const b = await Trainer.create(CONFIG, { gpu: gpu });
  await b.restore(checkpoint.snapshot);
  const again = await b.snapshot();
  b.destroy();
  assert.is(again.step, 2);
  assert.equal(
    again.tensors.map((t) => t.name),
    saved.tensors.map((t) => t.name),
  );
  assert.ok(
    saved.tensors.some((t) => t.name.startsWith('optimizer.accum.')),
    'optimizer state is saved',
  );
  for (let i = 0; i < saved.tensors.length; i++)
    assert.equal(Array.from(again.tensors[i].data), Array.from(saved.tensors[i].data), saved.tensors[i].name);
});

test('restoring into a different model shape is refused and changes nothing', async ({ gpu }) => {
  const small = await Trainer.create(CONFIG, { gpu });
  const snapshot = await small.snapshot();
  small.destroy();
  const other = await Trainer.create({ ...CONFIG, latent: 3 }, { gpu });
  const before = await other.snapshot();
  let message = '';
  try {
    await other.restore(snapshot, 'run/checkpoint.safetensors');
  } catch (e) {
    message = (e as Error).message;
  }
  assert.match(
    message,
    "run/checkpoint.safetensors: tensor 'encoder.head.weight' has shape 6×4, but this model needs 6×6",
  );
  const after = await other.snapshot();
  other.destroy();
  assert.equal(Array.from(after.tensors[0].data), Array.from(before.tensors[0].data));
  assert.is(after.step, 0);
});

test("a checkpoint that is missing, truncated or not aevb's is refused with its path", () => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-ckpt-'));
  throwsWith(() => readCheckpoint(dir), [join(dir, CHECKPOINT_FILE), 'cannot read', 'ENOENT']);
  writeFileSync(join(dir, CHECKPOINT_FILE), encodeSafetensors({ tensors: [], metadata: { format: 'something-else' } }));
  throwsWith(
    () => readCheckpoint(dir),
    [CHECKPOINT_FILE, "expected metadata format 'aevb-checkpoint-2'", 'not an aevb checkpoint'],
  );
  const path = join(dir, CHECKPOINT_FILE);
  writeCheckpoint(dir, {
    snapshot: { config: CONFIG, step: 3, tensors: [{ name: 'x', shape: [100], data: new Float32Array(100) }] },
    run: null,
  });
  const whole = readFileSync(path);
  writeFileSync(path, whole.subarray(0, 200));
  throwsWith(() => readCheckpoint(dir), [CHECKPOINT_FILE, 'at byte 0', 'runs past the end of the file (200 bytes)']);
  writeFileSync(path, whole.subarray(0, whole.length - 8));
  throwsWith(
    () => readCheckpoint(dir),
    [CHECKPOINT_FILE, "tensor 'x' (100 F32 = 400 bytes) claims bytes 0–400 of a 392-byte data section"],
  );
});

test.run();
