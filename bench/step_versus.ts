/**
 * The whole SGVB step of this checkout against the same step of another checkout of aevb (say, main before a
 * change), in ONE process, the two interleaved in rounds so that the load of a shared machine falls on both
 * alike. Each side imports its own src/ (acquireDevice, Vae, SgvbStep) and loads its own shaders/, so any
 * difference in the plan or the kernels shows; both run the 784-500-20 tanh VAE with Adam at each minibatch size
 * on the adapter's default matmul variant, their data in place, one submission per step (SgvbStep.submitWith).
 * Prints, per B: wall and CPU ms per step of each side (median of the rounds), samples per CPU-second and the
 * ratio this/other, and each side's dispatches per step.
 *
 * Run:  node --import tsx bench/step_versus.ts --against /path/to/other/checkout [--batches 100,1000] [--quick]
 *   (the other checkout needs its node_modules, or a link to these.)
 * The numbers compare within one run on one machine; they are never used as test assertions.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, startClock, type Elapsed } from './timing.ts';

const argv = process.argv.slice(2);
function flag(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  if (i + 1 >= argv.length) throw new Error(`bench/step_versus.ts: --${name} needs a value`);
  return argv[i + 1];
}
const QUICK = argv.includes('--quick');
const AGAINST = flag('against');
if (AGAINST === undefined)
  throw new Error('bench/step_versus.ts: --against <path of another aevb checkout> is required');
const BATCHES = (flag('batches') ?? '100,1000').split(',').map((b) => {
  if (!/^[1-9]\d*$/.test(b)) throw new Error(`bench/step_versus.ts: --batches takes positive integers, got '${b}'`);
  return Number(b);
});
const ROUNDS = QUICK ? 1 : 5;
/** Wall seconds one measurement of one side should last. */
const TARGET_S = QUICK ? 0.1 : 2;

/** What this benchmark uses of a checkout; typed loosely, since the other checkout may be older or newer. */
interface Side {
  name: string;
  gpu: { destroy(): void; device: GPUDevice };
  step: {
    submitWith(record: (e: GPUCommandEncoder) => void): void;
    submit(batch: Float32Array): void;
    plan: readonly unknown[];
    destroy(): void;
  };
  model: { destroy(): void };
}

async function openSide(name: string, root: string, B: number): Promise<Side> {
  const load = (path: string) => import(pathToFileURL(resolve(root, path)).href);
  // The Vae's file: src/vae/ since the folders were put in layers (docs/architecture.md), src/model/ before.
  const vae = existsSync(resolve(root, 'src/vae/vae.ts')) ? 'src/vae/vae.ts' : 'src/model/vae.ts';
  const [{ acquireDevice }, { Vae }, { SgvbStep }, { DEFAULT_OPTIMIZERS }] = await Promise.all([
    load('src/gpu/device.ts'),
    load(vae),
    load('src/train/sgvb_step.ts'),
    load('src/train/optimizer_config.ts'),
  ]);
  const gpu = await acquireDevice();
  const model = await Vae.create(
    { D: 784, hidden: [500], latent: 20, activation: 'tanh', init: 'pytorch', seed: 1 },
    { gpu },
  );
  const step = new SgvbStep(model, { B, optimizer: DEFAULT_OPTIMIZERS.adam, seed: 1 });
  step.submit(Float32Array.from({ length: B * 784 }, (_, i) => ((i * 2654435761) % 10 < 3 ? 1 : 0)));
  return { name, gpu, step, model };
}

async function run(side: Side, n: number): Promise<Elapsed> {
  const elapsed = startClock();
  for (let i = 0; i < n; i++) side.step.submitWith(() => {});
  await side.gpu.device.queue.onSubmittedWorkDone();
  return elapsed();
}

async function main(): Promise<void> {
  console.log(
    `this checkout against ${resolve(AGAINST!)}; median of ${ROUNDS} interleaved rounds${QUICK ? '   [--quick]' : ''}`,
  );
  console.log('   B  side     dispatches   ms/step   CPU ms/step   samples/CPU-s   this/other (CPU)');
  for (const B of BATCHES) {
    const sides = [await openSide('this', '.', B), await openSide('other', AGAINST!, B)];
    try {
      for (const s of sides) await run(s, 2); // warm-up: pipelines compiled, buffers touched
      const once = (await run(sides[0], 2)).wall / 2;
      const n = Math.max(2, Math.ceil(TARGET_S / once));
      const times = sides.map(() => [] as Elapsed[]);
      for (let r = 0; r < ROUNDS; r++) for (const [i, s] of sides.entries()) times[i].push(await run(s, n));
      const per = times.map((t) => ({ wall: median(t.map((x) => x.wall)) / n, cpu: median(t.map((x) => x.cpu)) / n }));
      for (const [i, s] of sides.entries()) {
        const ratio = i === 0 ? `${(per[1].cpu / per[0].cpu).toFixed(2)}×` : '';
        console.log(
          `${String(B).padStart(4)}  ${s.name.padEnd(5)}  ${String(s.step.plan.length).padStart(10)}   ${(per[i].wall * 1e3).toFixed(2).padStart(7)}   ${(per[i].cpu * 1e3).toFixed(2).padStart(11)}   ${(B / per[i].cpu).toFixed(0).padStart(13)}   ${ratio.padStart(16)}`,
        );
      }
    } finally {
      for (const s of sides) {
        s.step.destroy();
        s.model.destroy();
        s.gpu.destroy();
      }
    }
  }
}

await main();
