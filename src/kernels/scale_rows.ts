/** Wrapper of shaders/scale_rows.wgsl: a (R, N) row r *= rowScale[r], in place. */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform, type TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, flatGrid, kernelDispatch, type KernelDispatch } from './kernel.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const SCALE_ROWS_WORKGROUP = 256;

export function scaleRows(ctx: GpuContext, s: { R: number; N: number; a: TensorBinding; rowScale: TensorBinding }, label = 'scale_rows'): KernelDispatch {
  const dims = { R: s.R, N: s.N };
  checkDims(label, dims);
  const uniform = createUniformBuffer(ctx, `${label} dims`, packUniform([['u32', s.R], ['u32', s.N]]));
  return kernelDispatch(ctx, label, ctx.pipeline('scale_rows', 'main', { WG: SCALE_ROWS_WORKGROUP }), [
    [0, checkBinding(ctx, label, 'a', s.a, s.R * s.N, dims)],
    [1, checkBinding(ctx, label, 'rowScale', s.rowScale, s.R, dims)],
    [2, { buffer: uniform }],
  ], flatGrid(label, s.R * s.N, SCALE_ROWS_WORKGROUP));
}
