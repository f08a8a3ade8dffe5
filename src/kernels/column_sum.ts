/**
 * Wrapper of shaders/column_sum.wgsl: out (N) = scale · column sums of a (M, N) — the bias gradient db
 * (scale 1), or the mean of M stacked vectors (scale 1/M).
 */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform, type TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, kernelDispatch, linearGrid, type KernelDispatch } from './kernel.ts';

/** Invocations per workgroup, passed to the shader's WG override. */
export const COLUMN_SUM_WORKGROUP = 64;

export function columnSum(ctx: GpuContext, s: { M: number; N: number; a: TensorBinding; out: TensorBinding; scale?: number }, label = 'column_sum'): KernelDispatch {
  const dims = { M: s.M, N: s.N };
  checkDims(label, dims);
  const a = checkBinding(ctx, label, 'a', s.a, s.M * s.N, dims);
  const out = checkBinding(ctx, label, 'out', s.out, s.N, dims);
  const pipeline = ctx.pipeline('column_sum', 'main', { WG: COLUMN_SUM_WORKGROUP });
  const scale = s.scale ?? 1;
  if (!Number.isFinite(scale)) throw new Error(`${label}: scale must be finite, got ${scale}`);
  const uniform = createUniformBuffer(ctx, `${label} dims`, packUniform([['u32', s.M], ['u32', s.N], ['f32', scale]]));
  return kernelDispatch(ctx, label, pipeline, [[0, a], [1, out], [2, { buffer: uniform }]], linearGrid(label, s.N, COLUMN_SUM_WORKGROUP));
}
