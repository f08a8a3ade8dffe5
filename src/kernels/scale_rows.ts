/** Wrapper of shaders/scale_rows.wgsl: a (R, N) row r *= rowScale[r], in place. */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, flatGrid, kernelDispatch, type KernelDispatch } from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const SCALE_ROWS_WORKGROUP = 256;

export const SCALE_ROWS = shaderInterface('scale_rows', {
  a: 'read_write',
  rowScale: 'read',
  dims: uniform('Dims', { R: 'u32', N: 'u32' }),
});

export function scaleRows(
  ctx: GpuContext,
  s: { R: number; N: number; a: TensorBinding; rowScale: TensorBinding },
  label = 'scale_rows',
): KernelDispatch {
  const dims = { R: s.R, N: s.N };
  checkDims(label, dims);
  const dimsBuffer = SCALE_ROWS.uniformBuffer(ctx, `${label} dims`, 'dims', { R: s.R, N: s.N });
  return kernelDispatch(
    ctx,
    label,
    ctx.pipeline('scale_rows', 'main', { WG: SCALE_ROWS_WORKGROUP }),
    SCALE_ROWS.entries({
      a: checkBinding(ctx, label, 'a', s.a, s.R * s.N, dims),
      rowScale: checkBinding(ctx, label, 'rowScale', s.rowScale, s.R, dims),
      dims: { buffer: dimsBuffer },
    }),
    flatGrid(label, s.R * s.N, SCALE_ROWS_WORKGROUP),
  );
}
