/**
 * Wrapper of shaders/mc_kl.wgsl: estimator A's Monte-Carlo KL per datapoint, its gradient through z (forward,
 * before the reparameterisation backward) and its direct gradient on log σ² (direct, after it).
 */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform, type TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, kernelDispatch, linearGrid, type KernelDispatch } from './kernel.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const MC_KL_WORKGROUP = 64;

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
    B: number; Z: number; scale: number; z: TensorBinding; eps: TensorBinding; stats: TensorBinding; kl: TensorBinding; dz: TensorBinding; dStats: TensorBinding;
    /** Per-row scales (B) replacing `scale` (IWAE's normalised weights / B). */
    rowScale?: TensorBinding;
  },
  label = 'mc_kl',
): McKlKernels {
  const dims = { B: s.B, Z: s.Z };
  checkDims(label, dims);
  const pack = (scale: number) => {
    if (!Number.isFinite(scale)) throw new Error(`${label}: scale must be finite, got ${scale}`);
    return packUniform([['u32', s.B], ['u32', s.Z], ['f32', scale]]);
  };
  const uniform = createUniformBuffer(ctx, `${label} params`, pack(s.scale));
  const forwardEntries: Array<[number, GPUBufferBinding]> = [
    [0, checkBinding(ctx, label, 'z', s.z, s.B * s.Z, dims)],
    [1, checkBinding(ctx, label, 'eps', s.eps, s.B * s.Z, dims)],
    [2, checkBinding(ctx, label, 'stats', s.stats, s.B * 2 * s.Z, dims)],
    [3, checkBinding(ctx, label, 'kl', s.kl, s.B, dims)],
    [4, checkBinding(ctx, label, 'dz', s.dz, s.B * s.Z, dims)],
    [5, { buffer: uniform }],
  ];
  // Without per-row scales the shader still declares rowScale: any read-only range of B floats will do (eps).
  const rowScale: [number, GPUBufferBinding] = [7, s.rowScale ? checkBinding(ctx, label, 'rowScale', s.rowScale, s.B, dims) : forwardEntries[1][1]];
  const constants = { WG: MC_KL_WORKGROUP, PER_ROW_SCALE: s.rowScale !== undefined };
  const directEntries: Array<[number, GPUBufferBinding]> = [[5, { buffer: uniform }], [6, checkBinding(ctx, label, 'dStats', s.dStats, s.B * 2 * s.Z, dims)], rowScale];
  const valueEntries = forwardEntries.filter(([binding]) => binding !== 4);
  return {
    forward: kernelDispatch(ctx, `${label} forward`, ctx.pipeline('mc_kl', 'forward', constants), [...forwardEntries, rowScale], linearGrid(label, s.B, MC_KL_WORKGROUP)),
    direct: kernelDispatch(ctx, `${label} direct`, ctx.pipeline('mc_kl', 'direct', constants), directEntries, linearGrid(label, s.B * s.Z, MC_KL_WORKGROUP)),
    value: kernelDispatch(ctx, `${label} value`, ctx.pipeline('mc_kl', 'value', { WG: MC_KL_WORKGROUP }), valueEntries, linearGrid(label, s.B, MC_KL_WORKGROUP)),
    setScale: (scale) => ctx.device.queue.writeBuffer(uniform, 0, pack(scale)),
  };
}
