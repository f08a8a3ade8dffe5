/** Wrapper of shaders/iwae_weights.wgsl: the IWAE bound per datapoint and the normalised per-row weights. */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform, type TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, kernelDispatch, linearGrid, type KernelDispatch } from './kernel.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const IWAE_WEIGHTS_WORKGROUP = 64;

export function iwaeWeights(
  ctx: GpuContext,
  s: { B: number; k: number; scale: number; logp: TensorBinding; kl: TensorBinding; rowScale: TensorBinding; bound: TensorBinding },
  label = 'iwae_weights',
): KernelDispatch {
  const dims = { B: s.B, k: s.k };
  checkDims(label, dims);
  if (!Number.isFinite(s.scale)) throw new Error(`${label}: scale must be finite, got ${s.scale}`);
  const rows = s.B * s.k;
  const uniform = createUniformBuffer(ctx, `${label} params`, packUniform([['u32', s.B], ['u32', s.k], ['f32', s.scale]]));
  return kernelDispatch(ctx, label, ctx.pipeline('iwae_weights', 'main', { WG: IWAE_WEIGHTS_WORKGROUP }), [
    [0, checkBinding(ctx, label, 'logp', s.logp, rows, dims)],
    [1, checkBinding(ctx, label, 'kl', s.kl, rows, dims)],
    [2, checkBinding(ctx, label, 'rowScale', s.rowScale, rows, dims)],
    [3, checkBinding(ctx, label, 'bound', s.bound, s.B, dims)],
    [4, { buffer: uniform }],
  ], linearGrid(label, s.B, IWAE_WEIGHTS_WORKGROUP));
}
