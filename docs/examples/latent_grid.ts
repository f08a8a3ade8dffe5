// Load a checkpoint (the one docs/examples/train_mnist.ts writes, Z = 2) and decode a 20 × 20 grid of latent
// points into one picture, written as a PGM image (a format any viewer opens; no library needed).
import { writeFileSync } from 'node:fs';
import { Vae, readCheckpoint, imageGrid } from 'aevb';

const vae = await Vae.fromCheckpoint(readCheckpoint('out/mnist')); // parameters only: no optimizer state
const grid = imageGrid(await vae.latentGrid(20), vae.architecture.D, 20);
writeFileSync('out/mnist/grid.pgm', Buffer.concat([Buffer.from(`P5 ${grid.width} ${grid.height} 255\n`), grid.pixels]));
console.log(`decoded ${20 * 20} latent points into out/mnist/grid.pgm (${grid.width}×${grid.height})`);
vae.destroy();
