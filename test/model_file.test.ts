// A bare model as bytes (src/io/model_file.ts): saveModel of a trained Trainer or of a Vae and loadModel back give
// the same parameters bit for bit and the same config, with no optimizer or run state in the bytes; a training
// checkpoint opens too; a flipped byte is refused, naming the source.
import * as assert from 'uvu/assert';
import { gpuSuite, rejectsWith } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { Trainer } from '../src/train/trainer.ts';
import { Vae } from '../src/vae/vae.ts';
import { testConfig } from './configs.ts';
import { loadModel, saveModel } from '../src/io/model_file.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint_format.ts';

const test = gpuSuite('model_file');
const CONFIG = testConfig({ D: 12, hidden: [8], latent: 3, activation: 'tanh', init: 'glorot', batch: 5, seed: 3 });
const rows = Float32Array.from(seededUniform(7, 5 * CONFIG.D)).map((u) => (u < 0.5 ? 1 : 0));

test("a trained Trainer's model saved and loaded again has the same parameters bit for bit, and no optimizer state", async ({
  gpu,
}) => {
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    await trainer.trainOn([rows, rows, rows]);
    const bytes = await saveModel(trainer);
    const saved = decodeCheckpoint(bytes, 'saved');
    assert.is(saved.run, null);
    assert.is(saved.snapshot.step, 3);
    assert.equal(saved.snapshot.config, trainer.config);
    assert.not.ok(
      saved.snapshot.tensors.some((t) => t.name.startsWith('optimizer')),
      'parameters only',
    );
    const vae = await loadModel(bytes, { gpu });
    try {
      assert.equal(Array.from(await vae.flatParameters()), Array.from(await trainer.model.flatParameters()));
      assert.equal(
        await vae.decode(new Float32Array(6).fill(0.3)),
        await trainer.model.decode(new Float32Array(6).fill(0.3)),
      );
    } finally {
      vae.destroy();
    }
    // A training checkpoint (optimizer state and all) opens as a model too.
    const fromCheckpoint = await loadModel(encodeCheckpoint({ snapshot: await trainer.snapshot(), run: null }), {
      gpu,
    });
    try {
      assert.equal(Array.from(await fromCheckpoint.flatParameters()), Array.from(await trainer.model.flatParameters()));
    } finally {
      fromCheckpoint.destroy();
    }
  } finally {
    trainer.destroy();
  }
});

test('a Vae saved and loaded again keeps its model config and parameters; a flipped byte is refused naming the source', async ({
  gpu,
}) => {
  const { D, hidden, latent, activation, init, seed } = CONFIG;
  const vae = await Vae.create({ D, hidden, latent, activation, init, seed }, { gpu });
  try {
    const bytes = await saveModel(vae);
    const loaded = await loadModel(bytes, { gpu, source: 'vae.safetensors' });
    try {
      // The same network (a field the Vae left unset reads back as its default, which builds the same one).
      assert.equal([loaded.layout.entries, loaded.layout.P], [vae.layout.entries, vae.layout.P]);
      const z = new Float32Array(6).fill(-0.7);
      assert.equal(await loaded.decode(z), await vae.decode(z));
      assert.equal(Array.from(await loaded.flatParameters()), Array.from(await vae.flatParameters()));
    } finally {
      loaded.destroy();
    }
    const corrupt = bytes.slice();
    corrupt[corrupt.length - 1] ^= 0x40;
    await rejectsWith(
      () => loadModel(corrupt, { gpu, source: 'vae.safetensors' }),
      /^vae\.safetensors: the checksum does not match/,
    );
  } finally {
    vae.destroy();
  }
});

test.run();
