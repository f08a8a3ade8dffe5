/**
 * The benchmarks' clocks: wall and CPU time of a piece of work (CPU time is what a shared machine's load does
 * not inflate), the median of repeated rounds, and a measurement that grows the work until a run is long enough.
 */
import type { GpuContext } from '../src/gpu/device.ts';
import { encodeDispatches, type KernelDispatch } from '../src/kernels/kernel.ts';

/** Seconds of wall time and of this process's CPU time. */
export interface Elapsed { wall: number; cpu: number }

/** One unit of work's median seconds (wall and CPU) over the rounds, and the units per measured run. */
export interface Timing { seconds: number; cpuSeconds: number; reps: number }

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Starts a wall and CPU clock; the returned function reads the seconds since. */
export function startClock(): () => Elapsed {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { wall: (performance.now() - wall) / 1000, cpu: (used.user + used.system) / 1e6 };
  };
}

/**
 * Median seconds of one unit of work, where run(n) performs n units and returns the time they took.
 * One warm-up (pipeline compilation, first-touch allocation), then n grows until a run is long enough to
 * extrapolate, and is scaled so one measured run lasts about `targetSeconds`; `rounds` runs are measured.
 */
export async function measure(run: (n: number) => Promise<Elapsed>, targetSeconds: number, rounds: number): Promise<Timing> {
  await run(1);
  let n = 1;
  let t = (await run(n)).wall;
  while (t < targetSeconds / 10 && n < 1e6) {
    n *= 4;
    t = (await run(n)).wall;
  }
  const reps = Math.max(1, Math.ceil((n * targetSeconds * 1.1) / t));
  const measured: Elapsed[] = [];
  for (let i = 0; i < rounds; i++) measured.push(await run(reps));
  return { seconds: median(measured.map((r) => r.wall)) / reps, cpuSeconds: median(measured.map((r) => r.cpu)) / reps, reps };
}

/** Time to run `dispatch` n times in one command buffer; encoding happens before the clock starts. */
export async function runRepeated(gpu: GpuContext, dispatch: KernelDispatch, n: number): Promise<Elapsed> {
  const encoder = gpu.device.createCommandEncoder({ label: `bench ${dispatch.label}` });
  encodeDispatches(encoder, new Array<KernelDispatch>(n).fill(dispatch), 'bench');
  const commands = encoder.finish();
  const elapsed = startClock();
  gpu.device.queue.submit([commands]);
  await gpu.device.queue.onSubmittedWorkDone();
  return elapsed();
}
