// Node-only: the PNGs of a run — reconstructions (test images above their reconstructions), samples from the
// prior, and for Z = 2 the latent manifold — written into a folder.
import { join } from 'node:path';
import { imageGrid, pairRows, squareSide, upscaled, upscaleFactor, type GreyImage } from '../io/image_grid.ts';
import { writePng } from '../io/png.node.ts';
import type { Vae } from '../vae/vae.ts';

const COLS = 10;
/**
 * Pictures narrower than this are scaled up by a whole factor, nearest neighbour: a sheet of 8×8 digits is 91
 * px wide at 1:1, too small to see on a screen; MNIST's 291 px become 582.
 */
export const MIN_PICTURE_WIDTH = 400;

/** The grid at a size that can be looked at (MIN_PICTURE_WIDTH). */
const viewable = (grid: GreyImage) => upscaled(grid, upscaleFactor(grid.width, MIN_PICTURE_WIDTH));

/** The pictures' file names (aevb train --overwrite removes exactly these). */
export const PICTURE_FILES = ['reconstructions.png', 'samples.png', 'manifold.png'] as const;
const [RECONSTRUCTIONS, SAMPLES, MANIFOLD] = PICTURE_FILES;

/**
 * Writes the pictures of `model` into `dir`; returns the paths (none when rows are not square images). A model
 * still training: settle its trainer first, or the pictures show whatever step the GPU has reached.
 */
export async function writePictures(
  model: Vae,
  dir: string,
  test: Float32Array | null,
  seed: number,
): Promise<string[]> {
  const { D, Z } = model.architecture;
  if (squareSide(D) === null) return [];
  const written: string[] = [];
  const save = (name: string, images: Float32Array) => {
    const path = join(dir, name);
    writePng(path, viewable(imageGrid(images, D, COLS)));
    written.push(path);
  };
  if (test !== null && test.length >= 5 * COLS * D) {
    const originals = test.subarray(0, 5 * COLS * D);
    save(RECONSTRUCTIONS, pairRows(originals, await model.reconstruct(originals), D, COLS));
  }
  save(SAMPLES, await model.sample(10 * COLS, seed));
  if (Z === 2) {
    const side = 20;
    const path = join(dir, MANIFOLD);
    writePng(path, viewable(imageGrid(await model.latentGrid(side), D, side, 0)));
    written.push(path);
  }
  return written;
}
