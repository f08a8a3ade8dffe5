/**
 * Wrapper of shaders/gaussian_head.wgsl: raw head output (B, 2Z) → stats (B, 2Z) = [μ | log σ²] with
 * log σ² = BOUND·tanh(raw/BOUND), and the backward dStats → dRaw.
 */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, type KernelDispatch, kernelDispatch, linearGrid } from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const GAUSSIAN_HEAD_WORKGROUP = 64;
/** The soft bound of log σ² (docs/conventions.md), passed to the shader's BOUND override: its only statement. */
export const LOG_VARIANCE_BOUND = 15;

export const GAUSSIAN_HEAD = shaderInterface('gaussian_head', {
  raw: 'read',
  stats: 'read_write',
  dims: uniform('Dims', { B: 'u32', Z: 'u32' }),
  dStats: 'read',
  dRaw: 'read_write',
});

function headDims(label: string, B: number, Z: number) {
  const dims = { B, Z };
  checkDims(label, dims);
  return dims;
}

export function gaussianHeadForward(
  ctx: GpuContext,
  s: { B: number; Z: number; raw: TensorBinding; stats: TensorBinding },
  label = 'gaussian_head forward',
): KernelDispatch {
  const dims = headDims(label, s.B, s.Z);
  const n = s.B * 2 * s.Z;
  const pipeline = ctx.pipeline('gaussian_head', 'forward', { WG: GAUSSIAN_HEAD_WORKGROUP, BOUND: LOG_VARIANCE_BOUND });
  const entries = GAUSSIAN_HEAD.entries({
    raw: checkBinding(ctx, label, 'raw', s.raw, n, dims),
    stats: checkBinding(ctx, label, 'stats', s.stats, n, dims),
    dims: { buffer: GAUSSIAN_HEAD.uniformBuffer(ctx, `${label} dims`, 'dims', { B: s.B, Z: s.Z }) },
  });
  return kernelDispatch(ctx, label, pipeline, entries, linearGrid(label, n, GAUSSIAN_HEAD_WORKGROUP));
}

export function gaussianHeadBackward(
  ctx: GpuContext,
  s: { B: number; Z: number; raw: TensorBinding; dStats: TensorBinding; dRaw: TensorBinding },
  label = 'gaussian_head backward',
): KernelDispatch {
  const dims = headDims(label, s.B, s.Z);
  const n = s.B * 2 * s.Z;
  const pipeline = ctx.pipeline('gaussian_head', 'backward', {
    WG: GAUSSIAN_HEAD_WORKGROUP,
    BOUND: LOG_VARIANCE_BOUND,
  });
  const entries = GAUSSIAN_HEAD.entries({
    raw: checkBinding(ctx, label, 'raw', s.raw, n, dims),
    dims: { buffer: GAUSSIAN_HEAD.uniformBuffer(ctx, `${label} dims`, 'dims', { B: s.B, Z: s.Z }) },
    dStats: checkBinding(ctx, label, 'dStats', s.dStats, n, dims),
    dRaw: checkBinding(ctx, label, 'dRaw', s.dRaw, n, dims),
  });
  return kernelDispatch(ctx, label, pipeline, entries, linearGrid(label, n, GAUSSIAN_HEAD_WORKGROUP));
}
