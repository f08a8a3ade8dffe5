// Latents out of a trained model (the README's "Getting latents out"): the posterior of every MNIST test image,
// streamed, from the checkpoint docs/examples/train_mnist.ts writes into out/mnist (run that first).
import { Vae, readCheckpoint, mnistSource, loadRows, encodeSource } from 'aevb';

const vae = await Vae.fromCheckpoint(readCheckpoint('out/mnist'));

// Streamed: any row source of any size, 1000 rows per GPU pass; here the mean and variance of each μ_j.
const Z = vae.config.latent;
const sum = new Float64Array(Z);
const squares = new Float64Array(Z);
let rows = 0;
for await (const block of encodeSource(vae, mnistSource('test'), { chunk: 1000 })) {
  block.mu.forEach((m, i) => ((sum[i % Z] += m), (squares[i % Z] += m * m)));
  rows += block.rows;
}
for (let j = 0; j < Z; j++) {
  const mean = sum[j] / rows;
  console.log(
    `z${j}: mean μ ${mean.toFixed(3)}, variance of μ ${(squares[j] / rows - mean * mean).toFixed(3)} over ${rows} images`,
  );
}

// In memory: rows already loaded (scaled into [0, 1], grey levels) go through vae.encode.
const { mu, logVar } = await vae.encode(await loadRows(mnistSource('test'), { maxRows: 3 }));
for (let r = 0; r < 3; r++) {
  console.log(
    `image ${r}: μ = [${Array.from(mu.subarray(r * Z, (r + 1) * Z), (v) => v.toFixed(3)).join(', ')}], σ = [${Array.from(logVar.subarray(r * Z, (r + 1) * Z), (v) => Math.exp(v / 2).toFixed(3)).join(', ')}]`,
  );
}
vae.destroy();
