// Node-only: the PNGs of a run — reconstructions (test images above their reconstructions), samples from the
// prior, and for Z = 2 the latent manifold — written into a folder.
import { join } from 'node:path';
import { imageGrid, pairRows, squareSide } from '../io/image_grid.ts';
import { writePng } from '../io/png.node.ts';
import { latentManifold, reconstruct, samplePrior } from '../eval/pictures.ts';
import type { Trainer } from '../train/trainer.ts';

const COLS = 10;

/** Writes the pictures for `trainer` into `dir`; returns the paths (none when rows are not square images). */
export async function writePictures(trainer: Trainer, dir: string, test: Float32Array | null, seed: number): Promise<string[]> {
  const { D, Z } = trainer.model.arch;
  if (squareSide(D) === null) return [];
  await trainer.settle();
  const written: string[] = [];
  const save = (name: string, images: Float32Array) => {
    const path = join(dir, name);
    writePng(path, imageGrid(images, D, COLS));
    written.push(path);
  };
  if (test !== null && test.length >= 5 * COLS * D) {
    const originals = test.subarray(0, 5 * COLS * D);
    save('reconstructions.png', pairRows(originals, await reconstruct(trainer.gpu, trainer.model, originals), D, COLS));
  }
  save('samples.png', await samplePrior(trainer.gpu, trainer.model, 10 * COLS, seed));
  if (Z === 2) {
    const side = 20;
    const path = join(dir, 'manifold.png');
    writePng(path, imageGrid(await latentManifold(trainer.gpu, trainer.model, side), D, side, 0));
    written.push(path);
  }
  return written;
}
