/**
 * Every launch of one training step of the conv VAE (the PyTorch peer's model: conv:32,64, dense 256, Z = 20,
 * relu, Adam, B = 100), timed alone on the step's own buffers (bench/timing.ts runRepeated: N copies in one
 * pass), in the step's order, with a total per kind of kernel: where a step's time goes. bench/conv_kernels.ts
 * times the conv passes on buffers of their own, every variant side by side; this one times what the step runs.
 * Repeating a launch is fine for time (the optimizer update moves the parameters, which does not change its cost).
 *
 *   node --import tsx bench/conv_step_profile.ts [--arch conv:32,64] [--hidden 256] [--only TEXT]
 */
import { parseArgs } from 'node:util';
import { acquireDevice } from '../src/gpu/device.ts';
import { Vae } from '../src/vae/vae.ts';
import { SgvbStep } from '../src/train/sgvb_step.ts';
import { DEFAULT_OPTIMIZERS } from '../src/train/optimizer_config.ts';
import { hasDeviceClock, measure, runRepeated } from './timing.ts';

const { values } = parseArgs({
  options: { arch: { type: 'string' }, hidden: { type: 'string' }, only: { type: 'string' } },
});
const arch = values.arch ?? 'conv:32,64';
const hidden = (values.hidden ?? '256').split(',').map(Number);
const only = values.only ?? '';
const B = 100;

const gpu = await acquireDevice();
const model = await Vae.create(
  { D: 784, hidden, latent: 20, activation: 'relu', init: 'pytorch', seed: 1, arch },
  { gpu },
);
const step = new SgvbStep(model, { B, optimizer: DEFAULT_OPTIMIZERS.adam, seed: 1 });
console.log(`adapter: ${gpu.adapter.description}; ${arch}, hidden ${hidden.join(',')}, B = ${B}`);
const byKernel = new Map<string, number>();
let total = 0;
for (const d of step.plan) {
  if (!d.label.includes(only)) continue;
  const t = await measure((reps) => runRepeated(gpu, d, reps), 0.3, 3);
  await gpu.settle();
  const ms = (t.deviceSeconds ?? t.seconds) * 1e3;
  // The pipeline's label starts with its shader stem and entry point, e.g. "conv2d_lanes:correlate:{…}".
  const kernel = d.pipeline.label.split(':').slice(0, 2).join(':');
  byKernel.set(kernel, (byKernel.get(kernel) ?? 0) + ms);
  total += ms;
  console.log(
    `${d.label.padEnd(34)} ${kernel.padEnd(34)} ${d.workgroups.join('×').padEnd(10)} ${ms.toFixed(2).padStart(7)} ms`,
  );
}
console.log(`\nper kernel (${hasDeviceClock(gpu) ? 'device' : 'wall'} ms, launches timed alone):`);
for (const [kernel, ms] of [...byKernel].sort((a, b) => b[1] - a[1]))
  console.log(`${kernel.padEnd(34)} ${ms.toFixed(1).padStart(7)} ms  ${((100 * ms) / total).toFixed(0).padStart(3)} %`);
console.log(`${'all launches'.padEnd(34)} ${total.toFixed(1).padStart(7)} ms`);
step.destroy();
model.destroy();
gpu.destroy();
process.exit(0);
