/**
 * What the non-finite checks (shaders/first_non_finite.wgsl, recorded at the end of every SGVB step) cost: the
 * step plan of the 784-500-20 tanh VAE at B = 100 with Adam, timed with and without its first_non_finite
 * dispatches, interleaved in rounds on one device; prints ms per step of each, the checks timed alone, and the
 * ratio, beside the Adam update timed alone (it touches the same values). Each measurement encodes n steps' dispatches (one command buffer per step, as training submits them)
 * and awaits the queue; n is chosen so one measurement lasts ≥ 0.5 s (--quick: 0.05 s).
 *
 * Run:  node --import tsx bench/non_finite_flags.ts [--quick]
 * The numbers compare within one run on one machine; they are never used as test assertions.
 */
import { acquireDevice, type GpuContext } from '../src/gpu/device.ts';
import { encodeDispatches, type KernelDispatch } from '../src/kernels/kernel.ts';
import { Vae } from '../src/vae/vae.ts';
import { SgvbStep } from '../src/train/sgvb_step.ts';
import { DEFAULT_OPTIMIZERS } from '../src/train/optimizer_config.ts';
import { median } from './timing.ts';

const QUICK = process.argv.includes('--quick');
const TARGET_SECONDS = QUICK ? 0.05 : 0.5;
const ROUNDS = QUICK ? 1 : 5;
const B = 100;

async function seconds(gpu: GpuContext, plan: readonly KernelDispatch[], n: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const encoder = gpu.device.createCommandEncoder({ label: 'bench step' });
    encodeDispatches(encoder, plan, 'bench step');
    gpu.device.queue.submit([encoder.finish()]);
  }
  await gpu.device.queue.onSubmittedWorkDone();
  return (performance.now() - start) / 1000;
}

/** Steps per measurement so that the full plan takes about TARGET_SECONDS. */
async function calibrate(gpu: GpuContext, plan: readonly KernelDispatch[]): Promise<number> {
  let n = 1;
  for (;;) {
    const s = await seconds(gpu, plan, n);
    if (s >= TARGET_SECONDS / 4 || n >= 1 << 16) return Math.max(1, Math.ceil((n * TARGET_SECONDS) / s));
    n *= 4;
  }
}

async function main(): Promise<void> {
  const gpu = await acquireDevice();
  const model = await Vae.create(
    { D: 784, hidden: [500], latent: 20, activation: 'tanh', init: 'pytorch', seed: 1 },
    { gpu },
  );
  const step = new SgvbStep(model, { B, optimizer: DEFAULT_OPTIMIZERS.adam, seed: 1 });
  try {
    console.log(
      `adapter: ${gpu.adapter.description} (driver: ${gpu.adapter.driver})${QUICK ? '   [--quick: rough numbers]' : ''}`,
    );
    gpu.device.queue.writeBuffer(
      step.forward.encoder.x,
      0,
      new Float32Array(B * 784).map((_, i) => (i % 3 === 0 ? 1 : 0)),
    );
    const full = step.plan;
    // The per-step checks (loss and parameters); the optimizer state's are run only before snapshots.
    const checks = full.filter((d) => d.label.startsWith('first_non_finite'));
    const without = full.filter((d) => !checks.includes(d));
    // The Adam update reads params, grads, m and v and writes three of them: the same values the checks read.
    const update = full.filter((d) => d.label === 'adam_update');
    const n = await calibrate(gpu, full);
    const times = { full: [] as number[], without: [] as number[], checks: [] as number[], update: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      times.without.push((await seconds(gpu, without, n)) / n);
      times.full.push((await seconds(gpu, full, n)) / n);
      times.checks.push((await seconds(gpu, checks, n)) / n);
      times.update.push((await seconds(gpu, update, n)) / n);
    }
    const ms = (k: keyof typeof times) => median(times[k]) * 1e3;
    console.log(`784-500-20 tanh, B=${B}, Adam, P=${model.layout.P}: ${n} steps per measurement, median of ${ROUNDS}`);
    console.log(`  step without the checks   ${ms('without').toFixed(3)} ms/step  (${without.length} dispatches)`);
    console.log(`  step with the checks      ${ms('full').toFixed(3)} ms/step  (${full.length} dispatches)`);
    console.log(`  the ${checks.length} checks alone         ${ms('checks').toFixed(3)} ms/step`);
    console.log(`  the Adam update alone     ${ms('update').toFixed(3)} ms/step`);
    console.log(`  with / without            ${(ms('full') / ms('without')).toFixed(3)}`);
    await gpu.settle();
  } finally {
    step.destroy();
    model.destroy();
    gpu.destroy();
  }
}

await main();
