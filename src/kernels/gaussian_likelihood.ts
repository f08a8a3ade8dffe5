/**
 * Wrapper of shaders/gaussian_likelihood.wgsl: the shared-variance Gaussian decoder's log p(x|z) per datapoint
 * (mean sigmoid(logits), a learned log-variance per output, floored at minLogVar) and the loss gradients w.r.t. the logits and, per
 * datapoint, w.r.t. the log-variances (to be summed over the batch by column_sum).
 */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform, type TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, kernelDispatch, MAX_WORKGROUPS_PER_DIMENSION, type KernelDispatch } from './kernel.ts';

/** Invocations per datapoint (one workgroup each); a power of two for the tree reduction. */
export const GAUSSIAN_LIKELIHOOD_WORKGROUP = 64;

export function gaussianLikelihood(
  ctx: GpuContext,
  s: { B: number; D: number; scale: number; minLogVar: number; logits: TensorBinding; x: TensorBinding; logVar: TensorBinding; logp: TensorBinding; dLogits: TensorBinding; dLogVar: TensorBinding },
  label = 'gaussian_likelihood',
): KernelDispatch {
  const dims = { B: s.B, D: s.D };
  checkDims(label, dims);
  if (s.B > MAX_WORKGROUPS_PER_DIMENSION) throw new Error(`${label}: B=${s.B} exceeds ${MAX_WORKGROUPS_PER_DIMENSION} (one workgroup per datapoint)`);
  if (!Number.isFinite(s.scale)) throw new Error(`${label}: scale must be finite, got ${s.scale}`);
  if (!Number.isFinite(s.minLogVar)) throw new Error(`${label}: minLogVar must be finite, got ${s.minLogVar}`);
  const pipeline = ctx.pipeline('gaussian_likelihood', 'main', { WG: GAUSSIAN_LIKELIHOOD_WORKGROUP });
  const uniform = createUniformBuffer(ctx, `${label} params`, packUniform([['u32', s.B], ['u32', s.D], ['f32', s.scale], ['f32', s.minLogVar]]));
  const entries: Array<[number, GPUBufferBinding]> = [
    [0, checkBinding(ctx, label, 'logits', s.logits, s.B * s.D, dims)],
    [1, checkBinding(ctx, label, 'x', s.x, s.B * s.D, dims)],
    [2, checkBinding(ctx, label, 'logVar', s.logVar, s.D, dims)],
    [3, checkBinding(ctx, label, 'logp', s.logp, s.B, dims)],
    [4, checkBinding(ctx, label, 'dLogits', s.dLogits, s.B * s.D, dims)],
    [5, checkBinding(ctx, label, 'dLogVar', s.dLogVar, s.B * s.D, dims)],
    [6, { buffer: uniform }],
  ];
  return kernelDispatch(ctx, label, pipeline, entries, [s.B, 1, 1]);
}
