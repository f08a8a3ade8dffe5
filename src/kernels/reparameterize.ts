/** Wrapper of shaders/reparameterize.wgsl: z = μ + exp(½ log σ²) ⊙ ε, and its backward into (μ, log σ²). */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform, type TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, type KernelDispatch, kernelDispatch, linearGrid } from './kernel.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const REPARAMETERIZE_WORKGROUP = 64;

export function reparameterizeForward(
  ctx: GpuContext,
  s: { B: number; Z: number; stats: TensorBinding; eps: TensorBinding; z: TensorBinding },
  label = 'reparameterize forward',
): KernelDispatch {
  const dims = { B: s.B, Z: s.Z };
  checkDims(label, dims);
  const pipeline = ctx.pipeline('reparameterize', 'forward', { WG: REPARAMETERIZE_WORKGROUP });
  const uniform = createUniformBuffer(ctx, `${label} dims`, packUniform([['u32', s.B], ['u32', s.Z]]));
  const entries: Array<[number, GPUBufferBinding]> = [
    [0, checkBinding(ctx, label, 'stats', s.stats, s.B * 2 * s.Z, dims)],
    [1, checkBinding(ctx, label, 'eps', s.eps, s.B * s.Z, dims)],
    [2, { buffer: uniform }],
    [3, checkBinding(ctx, label, 'z', s.z, s.B * s.Z, dims)],
  ];
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
  const uniform = createUniformBuffer(ctx, `${label} dims`, packUniform([['u32', s.B], ['u32', s.Z]]));
  const entries: Array<[number, GPUBufferBinding]> = [
    [0, checkBinding(ctx, label, 'stats', s.stats, s.B * 2 * s.Z, dims)],
    [1, checkBinding(ctx, label, 'eps', s.eps, s.B * s.Z, dims)],
    [2, { buffer: uniform }],
    [4, checkBinding(ctx, label, 'dz', s.dz, s.B * s.Z, dims)],
    [5, checkBinding(ctx, label, 'dStats', s.dStats, s.B * 2 * s.Z, dims)],
  ];
  return kernelDispatch(ctx, label, pipeline, entries, linearGrid(label, s.B * s.Z, REPARAMETERIZE_WORKGROUP));
}
