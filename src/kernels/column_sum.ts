/**
 * Wrapper of shaders/column_sum.wgsl: out (N) = scale · column sums of a (M, N) — the bias gradient db
 * (scale 1), or the mean of M stacked vectors (scale 1/M).
 */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, kernelDispatch, linearGrid, type KernelDispatch } from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Invocations per workgroup, passed to the shader's WG override. */
export const COLUMN_SUM_WORKGROUP = 64;

export const COLUMN_SUM = shaderInterface('column_sum', {
  a: 'read',
  out: 'read_write',
  dims: uniform('Dims', { M: 'u32', N: 'u32', scale: 'f32' }),
});

export function columnSum(
  ctx: GpuContext,
  s: { M: number; N: number; a: TensorBinding; out: TensorBinding; scale?: number },
  label = 'column_sum',
): KernelDispatch {
  const dims = { M: s.M, N: s.N };
  checkDims(label, dims);
  const a = checkBinding(ctx, label, 'a', s.a, s.M * s.N, dims);
  const out = checkBinding(ctx, label, 'out', s.out, s.N, dims);
  const pipeline = ctx.pipeline('column_sum', 'main', { WG: COLUMN_SUM_WORKGROUP });
  const scale = s.scale ?? 1;
  if (!Number.isFinite(scale)) throw new Error(`${label}: scale must be finite, got ${scale}`);
  const dimsBuffer = COLUMN_SUM.uniformBuffer(ctx, `${label} dims`, 'dims', { M: s.M, N: s.N, scale });
  return kernelDispatch(
    ctx,
    label,
    pipeline,
    COLUMN_SUM.entries({ a, out, dims: { buffer: dimsBuffer } }),
    linearGrid(label, s.N, COLUMN_SUM_WORKGROUP),
  );
}
