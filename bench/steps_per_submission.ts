/**
 * Does encoding several SGVB steps into one command buffer pay, when the data is already on the GPU? The
 * 784-500-20 tanh VAE at B = 100 with Adam, on the adapter's default matmul variant: k steps per submission for
 * k = 1 (what Trainer does: SgvbStep.submitWith, which also writes the step's uniforms), 4 and 16 (k copies of
 * the plan in one command buffer, encoded with SgvbStep.encode; they all see the same uniforms, so this is
 * for timing only). The settings are interleaved in rounds on one device (a shared machine drifts); the median
 * of the rounds is kept, as wall and CPU ms per step, and each k's ratio to k = 1.
 *
 * Run:  node --import tsx bench/steps_per_submission.ts [--quick]
 * The numbers compare within one run on one machine; they are never used as test assertions.
 */
import { acquireDevice, type GpuContext } from '../src/gpu/device.ts';
import { Vae } from '../src/vae/vae.ts';
import { SgvbStep } from '../src/train/sgvb_step.ts';
import { DEFAULT_OPTIMIZERS } from '../src/train/optimizer_config.ts';
import { median, startClock, type Elapsed } from './timing.ts';

const QUICK = process.argv.includes('--quick');
/** Steps per measurement (a multiple of every k). */
const STEPS = QUICK ? 16 : 64;
const ROUNDS = QUICK ? 1 : 5;
const B = 100;
const PER_SUBMISSION = [1, 4, 16] as const;

/** Runs STEPS steps, k per command buffer, and waits for the queue; seconds of wall and of CPU time. */
async function run(gpu: GpuContext, step: SgvbStep, k: number): Promise<Elapsed> {
  const elapsed = startClock();
  for (let done = 0; done < STEPS; done += k) {
    if (k === 1) {
      step.submitWith(() => {});
      continue;
    }
    const encoder = gpu.device.createCommandEncoder({ label: `bench ${k} steps` });
    for (let i = 0; i < k; i++) step.encode(encoder);
    gpu.device.queue.submit([encoder.finish()]);
  }
  await gpu.device.queue.onSubmittedWorkDone();
  return elapsed();
}

async function main(): Promise<void> {
  const gpu = await acquireDevice();
  const model = await Vae.create(
    { D: 784, hidden: [500], latent: 20, activation: 'tanh', init: 'pytorch', seed: 1 },
    { gpu },
  );
  const step = new SgvbStep(model, { B, optimizer: DEFAULT_OPTIMIZERS.adam, seed: 1 });
  try {
    step.submit(Float32Array.from({ length: B * 784 }, () => (Math.random() < 0.3 ? 1 : 0)));
    for (const k of PER_SUBMISSION) await run(gpu, step, k); // warm-up
    const times = new Map<number, Elapsed[]>(PER_SUBMISSION.map((k) => [k, []]));
    for (let r = 0; r < ROUNDS; r++) for (const k of PER_SUBMISSION) times.get(k)!.push(await run(gpu, step, k));
    const perStep = (k: number) => ({
      wall: median(times.get(k)!.map((t) => t.wall)) / STEPS,
      cpu: median(times.get(k)!.map((t) => t.cpu)) / STEPS,
    });
    const base = perStep(1);
    console.log(
      `adapter: ${gpu.adapter.description}; ${STEPS} steps per measurement, median of ${ROUNDS} interleaved rounds${QUICK ? '   [--quick]' : ''}`,
    );
    console.log('steps per submission   ms/step   CPU ms/step   wall × k=1   CPU × k=1');
    for (const k of PER_SUBMISSION) {
      const t = perStep(k);
      console.log(
        `${String(k).padStart(20)}   ${(t.wall * 1e3).toFixed(2).padStart(7)}   ${(t.cpu * 1e3).toFixed(2).padStart(11)}   ${(base.wall / t.wall).toFixed(2).padStart(9)}×   ${(base.cpu / t.cpu).toFixed(2).padStart(8)}×`,
      );
    }
  } finally {
    step.destroy();
    model.destroy();
    gpu.destroy();
  }
}

await main();
