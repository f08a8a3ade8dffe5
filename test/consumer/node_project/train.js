// Consumer check (a): plain `node`, no loader, imports the installed package, trains a tiny VAE for a few
// steps on the process's WebGPU adapter (lavapipe in CI) and decodes latents, through the public API only.
import { Trainer, DEFAULT_TRAIN_CONFIG } from 'aevb';

const config = { ...DEFAULT_TRAIN_CONFIG, hidden: [16], latent: 2, batch: 20 };
const STEPS = 30;

// Data the model can learn: pixel j is on with probability j / D, drawn by a fixed LCG.
let state = 12345;
const uniform = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const rows = (n) =>
  Float32Array.from({ length: n * config.D }, (_, i) => (uniform() < (i % config.D) / config.D ? 1 : 0));
const testRows = rows(200);

const trainer = await Trainer.create(config);
try {
  const before = await trainer.evaluate(testRows);
  await trainer.trainOn(Array.from({ length: STEPS }, () => rows(config.batch)));
  const after = await trainer.evaluate(testRows);
  const means = await trainer.model.decode(Float32Array.of(0, 0, 1, -1));
  console.log(
    `(a) plain node on ${trainer.gpu.adapter.description}: test ELBO ${before.elbo.toFixed(2)} -> ${after.elbo.toFixed(2)} ` +
      `after ${STEPS} steps; 2 latents decoded to ${means.length} means in (0, 1)`,
  );
  if (!(after.elbo > before.elbo)) throw new Error(`the test ELBO did not rise: ${before.elbo} -> ${after.elbo}`);
  if (means.length !== 2 * config.D || !means.every((m) => m > 0 && m < 1)) {
    throw new Error(`expected ${2 * config.D} decoder means in (0, 1), got ${means.length}: ${means.slice(0, 4)}…`);
  }
} finally {
  trainer.destroy();
}
