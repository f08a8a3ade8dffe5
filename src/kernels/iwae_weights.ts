/** Wrapper of shaders/iwae_weights.wgsl: the IWAE bound per datapoint and the normalised per-row weights. */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, kernelDispatch, linearGrid, type KernelDispatch } from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const IWAE_WEIGHTS_WORKGROUP = 64;

export const IWAE_WEIGHTS = shaderInterface('iwae_weights', {
  logp: 'read',
  kl: 'read',
  rowScale: 'read_write',
  bound: 'read_write',
  params: uniform('Params', { B: 'u32', k: 'u32', scale: 'f32' }),
});

export function iwaeWeights(
  ctx: GpuContext,
  s: {
    B: number;
    k: number;
    scale: number;
    logp: TensorBinding;
    kl: TensorBinding;
    rowScale: TensorBinding;
    bound: TensorBinding;
  },
  label = 'iwae_weights',
): KernelDispatch {
  const dims = { B: s.B, k: s.k };
  checkDims(label, dims);
  if (!Number.isFinite(s.scale)) throw new Error(`${label}: scale must be finite, got ${s.scale}`);
  const rows = s.B * s.k;
  const params = IWAE_WEIGHTS.uniformBuffer(ctx, `${label} params`, 'params', { B: s.B, k: s.k, scale: s.scale });
  return kernelDispatch(
    ctx,
    label,
    ctx.pipeline('iwae_weights', 'main', { WG: IWAE_WEIGHTS_WORKGROUP }),
    IWAE_WEIGHTS.entries({
      logp: checkBinding(ctx, label, 'logp', s.logp, rows, dims),
      kl: checkBinding(ctx, label, 'kl', s.kl, rows, dims),
      rowScale: checkBinding(ctx, label, 'rowScale', s.rowScale, rows, dims),
      bound: checkBinding(ctx, label, 'bound', s.bound, s.B, dims),
      params: { buffer: params },
    }),
    linearGrid(label, s.B, IWAE_WEIGHTS_WORKGROUP),
  );
}
