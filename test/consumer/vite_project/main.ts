// Consumer check (c): a fresh Vite app imports the installed package (its `browser` build, shaders inlined),
// trains a tiny VAE for a few steps on navigator.gpu and decodes latents. test/consumer/browser_check.ts reads
// the outcome from window.__consumer.
import { Trainer, DEFAULT_TRAIN_CONFIG } from 'aevb';

const outcome = { done: false, errors: [] as string[], before: NaN, after: NaN, means: [] as number[] };
(window as unknown as { __consumer: typeof outcome }).__consumer = outcome;

const config = { ...DEFAULT_TRAIN_CONFIG, hidden: [16], latent: 2, batch: 20 };
const rows = (n: number) =>
  Float32Array.from({ length: n * config.D }, (_, i) => (Math.random() < (i % config.D) / config.D ? 1 : 0));

try {
  // As in Node: the browser entry has registered its bundled shaders, so Trainer.create acquires the device itself.
  const trainer = await Trainer.create(config);
  const testRows = rows(200);
  outcome.before = (await trainer.evaluate(testRows)).elbo;
  await trainer.trainOn(Array.from({ length: 20 }, () => rows(config.batch)));
  outcome.after = (await trainer.evaluate(testRows)).elbo;
  outcome.means = Array.from(await trainer.model.decode(Float32Array.of(0, 0)));
  trainer.destroy();
} catch (error) {
  outcome.errors.push(String((error as Error)?.stack ?? error));
}
outcome.done = true;
document.getElementById('log')!.textContent = JSON.stringify({ ...outcome, means: outcome.means.length });
