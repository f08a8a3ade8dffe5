/**
 * Wrapper of shaders/bernoulli_likelihood.wgsl: logp (B) = Σ_d log p(x | logits) and
 * dLogits (B, D) = scale · (sigmoid(logits) − x), in one pass.
 */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform, type TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, type KernelDispatch, kernelDispatch, MAX_WORKGROUPS_PER_DIMENSION } from './kernel.ts';

/** Invocations per datapoint (one workgroup each); a power of two for the tree reduction. */
export const BERNOULLI_LIKELIHOOD_WORKGROUP = 64;

export function bernoulliLikelihood(
  ctx: GpuContext,
  s: { B: number; D: number; scale: number; logits: TensorBinding; x: TensorBinding; logp: TensorBinding; dLogits: TensorBinding },
  label = 'bernoulli_likelihood',
): KernelDispatch {
  const dims = { B: s.B, D: s.D };
  checkDims(label, dims);
  if (s.B > MAX_WORKGROUPS_PER_DIMENSION) throw new Error(`${label}: B=${s.B} exceeds ${MAX_WORKGROUPS_PER_DIMENSION} (one workgroup per datapoint)`);
  if (!Number.isFinite(s.scale)) throw new Error(`${label}: scale must be finite, got ${s.scale}`);
  if (s.dLogits.buffer === s.logits.buffer) throw new Error(`${label}: dLogits must not share a buffer with logits`);
  const pipeline = ctx.pipeline('bernoulli_likelihood', 'main', { WG: BERNOULLI_LIKELIHOOD_WORKGROUP });
  const uniform = createUniformBuffer(ctx, `${label} params`, packUniform([['u32', s.B], ['u32', s.D], ['f32', s.scale]]));
  const entries: Array<[number, GPUBufferBinding]> = [
    [0, checkBinding(ctx, label, 'logits', s.logits, s.B * s.D, dims)],
    [1, checkBinding(ctx, label, 'x', s.x, s.B * s.D, dims)],
    [2, checkBinding(ctx, label, 'logp', s.logp, s.B, dims)],
    [3, checkBinding(ctx, label, 'dLogits', s.dLogits, s.B * s.D, dims)],
    [4, { buffer: uniform }],
  ];
  return kernelDispatch(ctx, label, pipeline, entries, [s.B, 1, 1]);
}
