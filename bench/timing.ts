/**
 * The benchmarks' clocks: wall and CPU time of a piece of work (CPU time is what a shared machine's load does
 * not inflate), the median of repeated rounds, and a measurement that grows the work until a run is long enough.
 */
import type { GpuContext } from '../src/gpu/device.ts';
import { encodeDispatches, type KernelDispatch } from '../src/kernels/kernel.ts';

/**
 * Seconds of wall time and of this process's CPU time; `device`: seconds between the compute pass's two GPU
 * timestamps (timestamp-query), where the work was one pass on a device that has the feature.
 */
export interface Elapsed {
  wall: number;
  cpu: number;
  device?: number;
}

/**
 * One unit of work's median seconds (wall, CPU and, where every run had it, device) over the rounds, and the
 * units per measured run.
 */
export interface Timing {
  seconds: number;
  cpuSeconds: number;
  deviceSeconds?: number;
  reps: number;
}

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
export async function measure(
  run: (n: number) => Promise<Elapsed>,
  targetSeconds: number,
  rounds: number,
): Promise<Timing> {
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
  const device = measured.every((r) => r.device !== undefined)
    ? median(measured.map((r) => r.device!)) / reps
    : undefined;
  return {
    seconds: median(measured.map((r) => r.wall)) / reps,
    cpuSeconds: median(measured.map((r) => r.cpu)) / reps,
    ...(device === undefined ? {} : { deviceSeconds: device }),
    reps,
  };
}

/** Whether the device can time a compute pass itself (it was given timestamp-query: src/gpu/device.ts asks for it). */
export const hasDeviceClock = (gpu: GpuContext) => gpu.device.features.has('timestamp-query');

/** A query set of two timestamps and the buffers that read them back, made once per device. */
const passTimers = new WeakMap<GpuContext, { querySet: GPUQuerySet; resolve: GPUBuffer; read: GPUBuffer }>();

function passTimer(gpu: GpuContext) {
  let timer = passTimers.get(gpu);
  if (timer === undefined) {
    const { device } = gpu;
    timer = {
      querySet: device.createQuerySet({ label: 'bench pass timestamps', type: 'timestamp', count: 2 }),
      resolve: device.createBuffer({
        label: 'bench timestamps resolve',
        size: 16,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      }),
      read: device.createBuffer({
        label: 'bench timestamps read',
        size: 16,
        usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
      }),
    };
    passTimers.set(gpu, timer);
  }
  return timer;
}

/**
 * Time to run `dispatch` n times in one command buffer; encoding happens before the clock starts. Where the
 * device has timestamp-query, the pass also carries timestamps at its beginning and end, read back after the
 * wall and CPU clocks stop: `device` is the time the device spent on the n dispatches (on a CPU driver, the
 * wall time of its queue thread from the pass's start to its end, without submission and wake-up).
 */
export async function runRepeated(gpu: GpuContext, dispatch: KernelDispatch, n: number): Promise<Elapsed> {
  const encoder = gpu.device.createCommandEncoder({ label: `bench ${dispatch.label}` });
  const timer = hasDeviceClock(gpu) ? passTimer(gpu) : null;
  if (timer === null) {
    encodeDispatches(encoder, new Array<KernelDispatch>(n).fill(dispatch), 'bench');
  } else {
    const pass = encoder.beginComputePass({
      label: 'bench',
      timestampWrites: { querySet: timer.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    });
    pass.setPipeline(dispatch.pipeline);
    pass.setBindGroup(0, dispatch.bindGroup);
    for (let i = 0; i < n; i++) pass.dispatchWorkgroups(...dispatch.workgroups);
    pass.end();
    encoder.resolveQuerySet(timer.querySet, 0, 2, timer.resolve, 0);
    encoder.copyBufferToBuffer(timer.resolve, 0, timer.read, 0, 16);
  }
  const commands = encoder.finish();
  const elapsed = startClock();
  gpu.device.queue.submit([commands]);
  await gpu.device.queue.onSubmittedWorkDone();
  const times = elapsed();
  if (timer === null) return times;
  await timer.read.mapAsync(GPUMapMode.READ);
  const [begin, end] = new BigUint64Array(timer.read.getMappedRange().slice(0));
  timer.read.unmap();
  return { ...times, device: Number(end - begin) / 1e9 };
}
