// The pictures (Vae.decode and latentGrid over src/eval/pictures.ts, src/io/image_grid.ts, png.node.ts): decoded means equal the float64
// decoder's sigmoid(logits); the manifold grid uses Φ⁻¹ correctly; sheets lay images out where they belong;
// the PNG decodes back to the same pixels.
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { assertClose } from './assert_close.ts';
import { gpuSuite } from './gpu_suite.ts';
import { seededNormal } from './seeded_random.ts';
import { denseForward } from './reference/matmul.ts';
import { sigmoid } from './reference/activation.ts';
import { Trainer } from '../src/train/trainer.ts';
import { testConfig } from './configs.ts';
import { inverseNormalCdf } from '../src/eval/pictures.ts';
import { imageGrid, pairRows, upscaled, upscaleFactor } from '../src/io/image_grid.ts';
import { MIN_PICTURE_WIDTH, writePictures } from '../src/cli/pictures.node.ts';
import { writePng } from '../src/io/png.node.ts';

const test = gpuSuite('pictures');
const CONFIG = testConfig({
  D: 16,
  hidden: [6],
  latent: 2,
  activation: 'softplus',
  init: 'glorot',
  batch: 4,
  optimizer: 'adam',
  lr: null,
  seed: 3,
});

test('Φ⁻¹ matches tabulated quantiles', () => {
  assertClose(
    [0.5, 0.975, 0.001, 0.9999, 0.1].map(inverseNormalCdf),
    [0, 1.959963984540054, -3.090232306167813, 3.719016485455709, -1.2815515655446004],
    { atol: 1e-8, rtol: 1e-8, label: 'Φ⁻¹' },
  );
});

test('decoded means equal the float64 decoder, and the manifold decodes the Φ⁻¹ grid', async ({ gpu }) => {
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    const params = Object.fromEntries(
      (await trainer.snapshot()).tensors.map((t) => [t.name, Float64Array.from(t.data)]),
    );
    const reference = (z: ArrayLike<number>, n: number) => {
      const h = denseForward(z, params['decoder.0.weight'], params['decoder.0.bias'], n, 2, 6, 'softplus').y;
      return denseForward(h, params['decoder.out.weight'], params['decoder.out.bias'], n, 6, 16, 'identity').y.map(
        sigmoid,
      );
    };
    const z = Float32Array.from(seededNormal(5, 7 * 2));
    assertClose(await trainer.model.decode(z), reference(z, 7), { atol: 1e-6, rtol: 1e-5, label: 'decoder means' });
    const side = 3;
    const grid: number[] = [];
    for (let r = 0; r < side; r++)
      for (let c = 0; c < side; c++)
        grid.push(inverseNormalCdf((c + 0.5) / side), inverseNormalCdf(1 - (r + 0.5) / side));
    assertClose(await trainer.model.latentGrid(side), reference(Float32Array.from(grid), side * side), {
      atol: 1e-6,
      rtol: 1e-5,
      label: 'manifold',
    });
  } finally {
    trainer.destroy();
  }
});

test('a sheet places each image in its cell, pairs rows, and survives a PNG round trip', () => {
  const D = 4; // 2×2 images
  const images = Float32Array.from([0, 1, 1, 0, /* second */ 1, 1, 1, 1, /* third */ 0, 0, 0, 0]);
  const sheet = imageGrid(images, D, 2, 1);
  assert.is(sheet.width, 2 * 2 + 3);
  assert.is(sheet.height, 2 * 2 + 3);
  assert.equal(Array.from(sheet.pixels.subarray(sheet.width + 1, sheet.width + 3)), [0, 255], 'first image, top row');
  assert.equal(
    Array.from(sheet.pixels.subarray(sheet.width + 4, sheet.width + 6)),
    [255, 255],
    'second image, top row',
  );
  assert.is(sheet.pixels[0], 128, 'padding is mid-grey');
  assert.equal(Array.from(pairRows(Float32Array.from([1, 2]), Float32Array.from([3, 4]), 1, 2)), [1, 2, 3, 4]);
  const path = join(mkdtempSync(join(tmpdir(), 'aevb-png-')), 'sheet.png');
  writePng(path, sheet);
  const back = decode(readFileSync(path));
  assert.is(back.width, sheet.width);
  assert.equal(Array.from(back.data as Uint8Array), Array.from(sheet.pixels));
});

test('small pictures are written scaled up by a whole factor, nearest neighbour: 8×8 digits at ≥ 400 px', async ({
  gpu,
}) => {
  const tiny = Float32Array.from([0, 1, 1, 0.5]); // one 2×2 image
  const grid = imageGrid(tiny, 4, 1, 0);
  const big = upscaled(grid, 3);
  assert.equal([big.width, big.height], [6, 6]);
  assert.equal(Array.from(big.pixels.subarray(0, 6)), [0, 0, 0, 255, 255, 255], 'each pixel a 3 × 3 block');
  assert.equal(Array.from(big.pixels.subarray(30, 36)), [255, 255, 255, 128, 128, 128]);
  assert.equal([upscaleFactor(91, 400), upscaleFactor(291, 400), upscaleFactor(400, 400)], [5, 2, 1]);
  assert.throws(() => upscaled(grid, 1.5), /whole factor/);

  const trainer = await Trainer.create({ ...CONFIG, D: 64 }, { gpu });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'aevb-pictures-'));
    const written = await writePictures(trainer.model, dir, null, CONFIG.seed);
    assert.equal(
      written.map((p) => p.slice(dir.length + 1)),
      ['samples.png', 'manifold.png'],
    );
    const samples = decode(readFileSync(join(dir, 'samples.png')));
    // 10 digits of 8 px and 11 pixels of padding: 91 px at 1:1, 455 at 5:1.
    assert.equal([samples.width, samples.height], [455, 455]);
    const oneToOne = imageGrid(await trainer.model.sample(100, CONFIG.seed), 64, 10);
    assert.equal(Array.from(samples.data as Uint8Array), Array.from(upscaled(oneToOne, 5).pixels));
    assert.ok(decode(readFileSync(join(dir, 'manifold.png'))).width >= MIN_PICTURE_WIDTH);
  } finally {
    trainer.destroy();
  }
});

test.run();
