/**
 * The adapter's own ceilings, which bench/kernels.ts measures every kernel against: an unrolled FMA loop
 * (arithmetic) and vec4 and f32 load loops (memory), from bench/ceilings.wgsl (see its header).
 */
import { readFileSync } from 'node:fs';
import type { GpuContext } from '../src/gpu/device.ts';
import { createStorageBuffer, createUniformBuffer, packUniform } from '../src/gpu/buffers.ts';
import { kernelDispatch } from '../src/kernels/kernel.ts';
import { measure, runRepeated } from './timing.ts';

type Row = Record<string, string | number | boolean>;

const CEILING = { WG: 64, workgroups: 512, iterations: 2048, quads: 1 << 18 } as const;

/** Rates per wall second, and per CPU second (the shares below use these). */
export interface Ceilings {
  gflops: number;
  vec4LoadsPerSec: number;
  f32LoadsPerSec: number;
  cpu: { gflops: number; vec4LoadsPerSec: number; f32LoadsPerSec: number };
}

/** The adapter's arithmetic and load ceilings, from bench/ceilings.wgsl (see its header). */
export async function benchCeilings(
  gpu: GpuContext,
  targetSeconds: number,
  rounds: number,
): Promise<{ ceilings: Ceilings; rows: Row[] }> {
  const code = readFileSync(new URL('./ceilings.wgsl', import.meta.url), 'utf8');
  const module = gpu.device.createShaderModule({ label: 'ceilings.wgsl', code });
  const src = createStorageBuffer(
    gpu,
    'ceiling src',
    Float32Array.from({ length: CEILING.quads * 4 }, () => Math.random()),
  );
  const invocations = CEILING.WG * CEILING.workgroups;
  const sink = createStorageBuffer(gpu, 'ceiling sink', invocations * 4);
  const params = createUniformBuffer(
    gpu,
    'ceiling params',
    packUniform([
      ['u32', CEILING.iterations],
      ['u32', CEILING.quads],
    ]),
  );
  const time = async (entryPoint: string, bindings: Array<[number, GPUBufferBinding]>) => {
    const pipeline = gpu.device.createComputePipeline({
      label: `ceilings:${entryPoint}`,
      layout: 'auto',
      compute: { module, entryPoint, constants: { WG: CEILING.WG } },
    });
    const d = kernelDispatch(gpu, entryPoint, pipeline, bindings, [CEILING.workgroups, 1, 1]);
    const t = await measure((reps) => runRepeated(gpu, d, reps), targetSeconds, rounds);
    await gpu.settle();
    return t;
  };
  const io: Array<[number, GPUBufferBinding]> = [
    [1, { buffer: sink }],
    [2, { buffer: params }],
  ];
  const perLaunch = invocations * CEILING.iterations;
  const fma = await time('fma_peak', io);
  const vec4 = await time('load_peak_vec4', [[0, { buffer: src }], ...io]);
  const f32 = await time('load_peak_scalar', [[3, { buffer: src }], ...io]);
  for (const b of [src, sink, params]) b.destroy();
  const ceilings = {
    gflops: (perLaunch * 128) / fma.seconds / 1e9,
    vec4LoadsPerSec: (perLaunch * 4) / vec4.seconds,
    f32LoadsPerSec: (perLaunch * 4) / f32.seconds,
    cpu: {
      gflops: (perLaunch * 128) / fma.cpuSeconds / 1e9,
      vec4LoadsPerSec: (perLaunch * 4) / vec4.cpuSeconds,
      f32LoadsPerSec: (perLaunch * 4) / f32.cpuSeconds,
    },
  };
  const rows: Row[] = [
    { row: 'ceiling', label: 'fma_peak', msPerLaunch: fma.seconds * 1e3, gflops: ceilings.gflops },
    {
      row: 'ceiling',
      label: 'load_peak_vec4',
      msPerLaunch: vec4.seconds * 1e3,
      gLoadsPerSec: ceilings.vec4LoadsPerSec / 1e9,
      gbPerSec: (ceilings.vec4LoadsPerSec * 16) / 1e9,
    },
    {
      row: 'ceiling',
      label: 'load_peak_scalar',
      msPerLaunch: f32.seconds * 1e3,
      gLoadsPerSec: ceilings.f32LoadsPerSec / 1e9,
      gbPerSec: (ceilings.f32LoadsPerSec * 4) / 1e9,
    },
  ];
  return { ceilings, rows };
}
