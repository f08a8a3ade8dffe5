/**
 * Wrapper of shaders/kl_divergence.wgsl: kl (B) = KL(N(μ, σ²) ‖ N(0, I)) per datapoint, and
 * dStats += scale · ∂KL/∂stats (scale = β/B; the reparameterize backward must have written dStats first).
 */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform, type TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, type KernelDispatch, kernelDispatch, linearGrid } from './kernel.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const KL_DIVERGENCE_WORKGROUP = 64;

export interface KlDivergenceKernel {
  dispatch: KernelDispatch;
  /** Rewrites the gradient scale (β/B) for the next submission, e.g. along a KL warm-up. */
  setScale(scale: number): void;
}

export function klDivergence(
  ctx: GpuContext,
  s: { B: number; Z: number; scale: number; stats: TensorBinding; kl: TensorBinding; dStats: TensorBinding },
  label = 'kl_divergence',
): KlDivergenceKernel {
  const dims = { B: s.B, Z: s.Z };
  checkDims(label, dims);
  const pack = (scale: number) => {
    if (!Number.isFinite(scale)) throw new Error(`${label}: scale must be finite, got ${scale}`);
    return packUniform([['u32', s.B], ['u32', s.Z], ['f32', scale]]);
  };
  const pipeline = ctx.pipeline('kl_divergence', 'main', { WG: KL_DIVERGENCE_WORKGROUP });
  const uniform = createUniformBuffer(ctx, `${label} params`, pack(s.scale));
  const entries: Array<[number, GPUBufferBinding]> = [
    [0, checkBinding(ctx, label, 'stats', s.stats, s.B * 2 * s.Z, dims)],
    [1, checkBinding(ctx, label, 'kl', s.kl, s.B, dims)],
    [2, checkBinding(ctx, label, 'dStats', s.dStats, s.B * 2 * s.Z, dims)],
    [3, { buffer: uniform }],
  ];
  return {
    dispatch: kernelDispatch(ctx, label, pipeline, entries, linearGrid(label, s.B, KL_DIVERGENCE_WORKGROUP)),
    setScale: (scale) => ctx.device.queue.writeBuffer(uniform, 0, pack(scale)),
  };
}
