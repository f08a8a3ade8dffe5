/**
 * Wrapper of shaders/kl_divergence.wgsl: kl (B) = KL(N(μ, σ²) ‖ N(0, I)) per datapoint, and
 * dStats += scale · ∂KL/∂stats (scale = β/B; the reparameterize backward must have written dStats first).
 */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, type TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, type KernelDispatch, kernelDispatch, linearGrid } from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const KL_DIVERGENCE_WORKGROUP = 64;

export const KL_DIVERGENCE = shaderInterface('kl_divergence', {
  stats: 'read',
  kl: 'read_write',
  dStats: 'read_write',
  params: uniform('Params', { B: 'u32', Z: 'u32', scale: 'f32' }),
});

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
    return KL_DIVERGENCE.pack('params', { B: s.B, Z: s.Z, scale });
  };
  const pipeline = ctx.pipeline('kl_divergence', 'main', { WG: KL_DIVERGENCE_WORKGROUP });
  const params = createUniformBuffer(ctx, `${label} params`, pack(s.scale));
  const entries = KL_DIVERGENCE.entries({
    stats: checkBinding(ctx, label, 'stats', s.stats, s.B * 2 * s.Z, dims),
    kl: checkBinding(ctx, label, 'kl', s.kl, s.B, dims),
    dStats: checkBinding(ctx, label, 'dStats', s.dStats, s.B * 2 * s.Z, dims),
    params: { buffer: params },
  });
  return {
    dispatch: kernelDispatch(ctx, label, pipeline, entries, linearGrid(label, s.B, KL_DIVERGENCE_WORKGROUP)),
    setScale: (scale) => ctx.device.queue.writeBuffer(params, 0, pack(scale)),
  };
}
