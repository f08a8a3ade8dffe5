/**
 * Wrapper of shaders/gaussian_head.wgsl: raw head output (B, 2Z) → stats (B, 2Z) = [μ | log σ²] with
 * log σ² = BOUND·tanh(raw/BOUND), and the backward dStats → dRaw.
 */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform, type TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, type KernelDispatch, kernelDispatch, linearGrid } from './kernel.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const GAUSSIAN_HEAD_WORKGROUP = 64;
/** The soft bound of log σ² (docs/conventions.md), passed to the shader's BOUND override: its only statement. */
export const LOG_VARIANCE_BOUND = 15;

function headDims(label: string, B: number, Z: number) {
  const dims = { B, Z };
  checkDims(label, dims);
  return dims;
}

export function gaussianHeadForward(ctx: GpuContext, s: { B: number; Z: number; raw: TensorBinding; stats: TensorBinding }, label = 'gaussian_head forward'): KernelDispatch {
  const dims = headDims(label, s.B, s.Z);
  const n = s.B * 2 * s.Z;
  const pipeline = ctx.pipeline('gaussian_head', 'forward', { WG: GAUSSIAN_HEAD_WORKGROUP, BOUND: LOG_VARIANCE_BOUND });
  const uniform = createUniformBuffer(ctx, `${label} dims`, packUniform([['u32', s.B], ['u32', s.Z]]));
  const entries: Array<[number, GPUBufferBinding]> = [
    [0, checkBinding(ctx, label, 'raw', s.raw, n, dims)],
    [1, checkBinding(ctx, label, 'stats', s.stats, n, dims)],
    [2, { buffer: uniform }],
  ];
  return kernelDispatch(ctx, label, pipeline, entries, linearGrid(label, n, GAUSSIAN_HEAD_WORKGROUP));
}

export function gaussianHeadBackward(
  ctx: GpuContext,
  s: { B: number; Z: number; raw: TensorBinding; dStats: TensorBinding; dRaw: TensorBinding },
  label = 'gaussian_head backward',
): KernelDispatch {
  const dims = headDims(label, s.B, s.Z);
  const n = s.B * 2 * s.Z;
  const pipeline = ctx.pipeline('gaussian_head', 'backward', { WG: GAUSSIAN_HEAD_WORKGROUP, BOUND: LOG_VARIANCE_BOUND });
  const uniform = createUniformBuffer(ctx, `${label} dims`, packUniform([['u32', s.B], ['u32', s.Z]]));
  const entries: Array<[number, GPUBufferBinding]> = [
    [0, checkBinding(ctx, label, 'raw', s.raw, n, dims)],
    [2, { buffer: uniform }],
    [3, checkBinding(ctx, label, 'dStats', s.dStats, n, dims)],
    [4, checkBinding(ctx, label, 'dRaw', s.dRaw, n, dims)],
  ];
  return kernelDispatch(ctx, label, pipeline, entries, linearGrid(label, n, GAUSSIAN_HEAD_WORKGROUP));
}
