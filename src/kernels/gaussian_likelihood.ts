/**
 * Wrapper of shaders/gaussian_likelihood.wgsl: the shared-variance Gaussian decoder's log p(x|z) per datapoint
 * (mean sigmoid(logits), a learned log-variance per output, floored at minLogVar) and the loss gradients w.r.t. the logits and, per
 * datapoint, w.r.t. the log-variances (to be summed over the batch by column_sum).
 */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import {
  checkBinding,
  checkDims,
  kernelDispatch,
  MAX_WORKGROUPS_PER_DIMENSION,
  type KernelDispatch,
} from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Invocations per datapoint (one workgroup each); a power of two for the tree reduction. */
export const GAUSSIAN_LIKELIHOOD_WORKGROUP = 64;

export const GAUSSIAN_LIKELIHOOD = shaderInterface('gaussian_likelihood', {
  logits: 'read',
  x: 'read',
  logVar: 'read',
  logp: 'read_write',
  dLogits: 'read_write',
  dLogVar: 'read_write',
  params: uniform('Params', { B: 'u32', D: 'u32', scale: 'f32', minLogVar: 'f32' }),
});

export function gaussianLikelihood(
  ctx: GpuContext,
  s: {
    B: number;
    D: number;
    scale: number;
    minLogVar: number;
    logits: TensorBinding;
    x: TensorBinding;
    logVar: TensorBinding;
    logp: TensorBinding;
    dLogits: TensorBinding;
    dLogVar: TensorBinding;
  },
  label = 'gaussian_likelihood',
): KernelDispatch {
  const dims = { B: s.B, D: s.D };
  checkDims(label, dims);
  if (s.B > MAX_WORKGROUPS_PER_DIMENSION)
    throw new Error(`${label}: B=${s.B} exceeds ${MAX_WORKGROUPS_PER_DIMENSION} (one workgroup per datapoint)`);
  if (!Number.isFinite(s.scale)) throw new Error(`${label}: scale must be finite, got ${s.scale}`);
  if (!Number.isFinite(s.minLogVar)) throw new Error(`${label}: minLogVar must be finite, got ${s.minLogVar}`);
  const pipeline = ctx.pipeline('gaussian_likelihood', 'main', { WG: GAUSSIAN_LIKELIHOOD_WORKGROUP });
  const params = GAUSSIAN_LIKELIHOOD.uniformBuffer(ctx, `${label} params`, 'params', {
    B: s.B,
    D: s.D,
    scale: s.scale,
    minLogVar: s.minLogVar,
  });
  const entries = GAUSSIAN_LIKELIHOOD.entries({
    logits: checkBinding(ctx, label, 'logits', s.logits, s.B * s.D, dims),
    x: checkBinding(ctx, label, 'x', s.x, s.B * s.D, dims),
    logVar: checkBinding(ctx, label, 'logVar', s.logVar, s.D, dims),
    logp: checkBinding(ctx, label, 'logp', s.logp, s.B, dims),
    dLogits: checkBinding(ctx, label, 'dLogits', s.dLogits, s.B * s.D, dims),
    dLogVar: checkBinding(ctx, label, 'dLogVar', s.dLogVar, s.B * s.D, dims),
    params: { buffer: params },
  });
  return kernelDispatch(ctx, label, pipeline, entries, [s.B, 1, 1]);
}
