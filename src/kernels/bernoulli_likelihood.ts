/**
 * Wrapper of shaders/bernoulli_likelihood.wgsl: logp (B) = Σ_d log p(x | logits) and
 * dLogits (B, D) = scale · (sigmoid(logits) − x), in one pass.
 */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import {
  checkBinding,
  checkDims,
  type KernelDispatch,
  kernelDispatch,
  MAX_WORKGROUPS_PER_DIMENSION,
} from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Invocations per datapoint (one workgroup each); a power of two for the tree reduction. */
export const BERNOULLI_LIKELIHOOD_WORKGROUP = 64;

export const BERNOULLI_LIKELIHOOD = shaderInterface('bernoulli_likelihood', {
  logits: 'read',
  x: 'read',
  logp: 'read_write',
  dLogits: 'read_write',
  params: uniform('Params', { B: 'u32', D: 'u32', scale: 'f32' }),
});

export function bernoulliLikelihood(
  ctx: GpuContext,
  s: {
    B: number;
    D: number;
    scale: number;
    logits: TensorBinding;
    x: TensorBinding;
    logp: TensorBinding;
    dLogits: TensorBinding;
  },
  label = 'bernoulli_likelihood',
): KernelDispatch {
  const dims = { B: s.B, D: s.D };
  checkDims(label, dims);
  if (s.B > MAX_WORKGROUPS_PER_DIMENSION)
    throw new Error(`${label}: B=${s.B} exceeds ${MAX_WORKGROUPS_PER_DIMENSION} (one workgroup per datapoint)`);
  if (!Number.isFinite(s.scale)) throw new Error(`${label}: scale must be finite, got ${s.scale}`);
  if (s.dLogits.buffer === s.logits.buffer) throw new Error(`${label}: dLogits must not share a buffer with logits`);
  const pipeline = ctx.pipeline('bernoulli_likelihood', 'main', { WG: BERNOULLI_LIKELIHOOD_WORKGROUP });
  const params = BERNOULLI_LIKELIHOOD.uniformBuffer(ctx, `${label} params`, 'params', {
    B: s.B,
    D: s.D,
    scale: s.scale,
  });
  const entries = BERNOULLI_LIKELIHOOD.entries({
    logits: checkBinding(ctx, label, 'logits', s.logits, s.B * s.D, dims),
    x: checkBinding(ctx, label, 'x', s.x, s.B * s.D, dims),
    logp: checkBinding(ctx, label, 'logp', s.logp, s.B, dims),
    dLogits: checkBinding(ctx, label, 'dLogits', s.dLogits, s.B * s.D, dims),
    params: { buffer: params },
  });
  return kernelDispatch(ctx, label, pipeline, entries, [s.B, 1, 1]);
}
