/**
 * Wrapper of shaders/mc_kl.wgsl: estimator A's Monte-Carlo KL per datapoint, its gradient through z (forward,
 * before the reparameterisation backward) and its direct gradient on log σ² (direct, after it).
 */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, type TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, kernelDispatch, linearGrid, type KernelDispatch } from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const MC_KL_WORKGROUP = 64;

export const MC_KL = shaderInterface('mc_kl', {
  z: 'read',
  eps: 'read',
  stats: 'read',
  kl: 'read_write',
  dz: 'read_write',
  params: uniform('Params', { B: 'u32', Z: 'u32', scale: 'f32' }),
  dStats: 'read_write',
  rowScale: 'read',
});

export interface McKlKernels {
  forward: KernelDispatch;
  direct: KernelDispatch;
  /** KL values only (no gradient): for weights that must be known before the backward pass. */
  value: KernelDispatch;
  /** Rewrites β/(B·L) for the next submission. */
  setScale(scale: number): void;
}

export function mcKl(
  ctx: GpuContext,
  s: {
    B: number;
    Z: number;
    scale: number;
    z: TensorBinding;
    eps: TensorBinding;
    stats: TensorBinding;
    kl: TensorBinding;
    dz: TensorBinding;
    dStats: TensorBinding;
    /** Per-row scales (B) replacing `scale` (IWAE's normalised weights / B). */
    rowScale?: TensorBinding;
  },
  label = 'mc_kl',
): McKlKernels {
  const dims = { B: s.B, Z: s.Z };
  checkDims(label, dims);
  const pack = (scale: number) => {
    if (!Number.isFinite(scale)) throw new Error(`${label}: scale must be finite, got ${scale}`);
    return MC_KL.pack('params', { B: s.B, Z: s.Z, scale });
  };
  const params = { buffer: createUniformBuffer(ctx, `${label} params`, pack(s.scale)) };
  // What the value entry point reads (and forward too): the sample, its statistics, and kl to write.
  const value = {
    z: checkBinding(ctx, label, 'z', s.z, s.B * s.Z, dims),
    eps: checkBinding(ctx, label, 'eps', s.eps, s.B * s.Z, dims),
    stats: checkBinding(ctx, label, 'stats', s.stats, s.B * 2 * s.Z, dims),
    kl: checkBinding(ctx, label, 'kl', s.kl, s.B, dims),
    params,
  };
  // Without per-row scales the shader still declares rowScale: any read-only range of B floats will do (eps).
  const rowScale = s.rowScale ? checkBinding(ctx, label, 'rowScale', s.rowScale, s.B, dims) : value.eps;
  const constants = { WG: MC_KL_WORKGROUP, PER_ROW_SCALE: s.rowScale !== undefined };
  const forwardEntries = MC_KL.entries({
    ...value,
    dz: checkBinding(ctx, label, 'dz', s.dz, s.B * s.Z, dims),
    rowScale,
  });
  const directEntries = MC_KL.entries({
    params,
    dStats: checkBinding(ctx, label, 'dStats', s.dStats, s.B * 2 * s.Z, dims),
    rowScale,
  });
  return {
    forward: kernelDispatch(
      ctx,
      `${label} forward`,
      ctx.pipeline('mc_kl', 'forward', constants),
      forwardEntries,
      linearGrid(label, s.B, MC_KL_WORKGROUP),
    ),
    direct: kernelDispatch(
      ctx,
      `${label} direct`,
      ctx.pipeline('mc_kl', 'direct', constants),
      directEntries,
      linearGrid(label, s.B * s.Z, MC_KL_WORKGROUP),
    ),
    value: kernelDispatch(
      ctx,
      `${label} value`,
      ctx.pipeline('mc_kl', 'value', { WG: MC_KL_WORKGROUP }),
      MC_KL.entries(value),
      linearGrid(label, s.B, MC_KL_WORKGROUP),
    ),
    setScale: (scale) => ctx.device.queue.writeBuffer(params.buffer, 0, pack(scale)),
  };
}
