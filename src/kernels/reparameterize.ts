/** Wrapper of shaders/reparameterize.wgsl: z = μ + exp(½ log σ²) ⊙ ε, and its backward into (μ, log σ²). */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, type KernelDispatch, kernelDispatch, linearGrid } from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const REPARAMETERIZE_WORKGROUP = 64;

export const REPARAMETERIZE = shaderInterface('reparameterize', {
  stats: 'read',
  eps: 'read',
  dims: uniform('Dims', { B: 'u32', Z: 'u32' }),
  z: 'read_write',
  dz: 'read',
  dStats: 'read_write',
});

/** The bindings both entry points read: stats, eps and the dims. */
function inputs(
  ctx: GpuContext,
  label: string,
  s: { B: number; Z: number; stats: TensorBinding; eps: TensorBinding },
  dims: Record<string, number>,
) {
  return {
    stats: checkBinding(ctx, label, 'stats', s.stats, s.B * 2 * s.Z, dims),
    eps: checkBinding(ctx, label, 'eps', s.eps, s.B * s.Z, dims),
    dims: { buffer: REPARAMETERIZE.uniformBuffer(ctx, `${label} dims`, 'dims', { B: s.B, Z: s.Z }) },
  };
}

export function reparameterizeForward(
  ctx: GpuContext,
  s: { B: number; Z: number; stats: TensorBinding; eps: TensorBinding; z: TensorBinding },
  label = 'reparameterize forward',
): KernelDispatch {
  const dims = { B: s.B, Z: s.Z };
  checkDims(label, dims);
  const pipeline = ctx.pipeline('reparameterize', 'forward', { WG: REPARAMETERIZE_WORKGROUP });
  const entries = REPARAMETERIZE.entries({
    ...inputs(ctx, label, s, dims),
    z: checkBinding(ctx, label, 'z', s.z, s.B * s.Z, dims),
  });
  return kernelDispatch(ctx, label, pipeline, entries, linearGrid(label, s.B * s.Z, REPARAMETERIZE_WORKGROUP));
}

/** Writes dStats (B, 2Z) from dz (B, Z); the KL kernel adds its gradient afterwards. */
export function reparameterizeBackward(
  ctx: GpuContext,
  s: { B: number; Z: number; stats: TensorBinding; eps: TensorBinding; dz: TensorBinding; dStats: TensorBinding },
  label = 'reparameterize backward',
): KernelDispatch {
  const dims = { B: s.B, Z: s.Z };
  checkDims(label, dims);
  const pipeline = ctx.pipeline('reparameterize', 'backward', { WG: REPARAMETERIZE_WORKGROUP });
  const entries = REPARAMETERIZE.entries({
    ...inputs(ctx, label, s, dims),
    dz: checkBinding(ctx, label, 'dz', s.dz, s.B * s.Z, dims),
    dStats: checkBinding(ctx, label, 'dStats', s.dStats, s.B * 2 * s.Z, dims),
  });
  return kernelDispatch(ctx, label, pipeline, entries, linearGrid(label, s.B * s.Z, REPARAMETERIZE_WORKGROUP));
}
