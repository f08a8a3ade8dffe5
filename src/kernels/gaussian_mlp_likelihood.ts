/**
 * Wrapper of shaders/gaussian_mlp_likelihood.wgsl: the paper's Gaussian MLP decoder's log p(x|z) per datapoint
 * (mean sigmoid(l), log-variance max(t, minLogVar), both halves of the decoder output [l | t] of each row) and
 * the loss gradients w.r.t. both halves. With `mean: 'identity'` the mean is l itself: the log-density of x
 * under N(l, e^t) per row, as the sleep phase of wake-sleep needs for q(z|x) = N(μ, σ²) at a dreamed z.
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
export const GAUSSIAN_MLP_LIKELIHOOD_WORKGROUP = 64;

export const GAUSSIAN_MLP_LIKELIHOOD = shaderInterface('gaussian_mlp_likelihood', {
  out: 'read',
  x: 'read',
  logp: 'read_write',
  dOut: 'read_write',
  params: uniform('Params', { B: 'u32', D: 'u32', scale: 'f32', minLogVar: 'f32' }),
});

export function gaussianMlpLikelihood(
  ctx: GpuContext,
  s: {
    B: number;
    D: number;
    scale: number;
    minLogVar: number;
    out: TensorBinding;
    x: TensorBinding;
    logp: TensorBinding;
    dOut: TensorBinding;
    mean?: 'sigmoid' | 'identity';
  },
  label = 'gaussian_mlp_likelihood',
): KernelDispatch {
  const dims = { B: s.B, D: s.D };
  checkDims(label, dims);
  if (s.B > MAX_WORKGROUPS_PER_DIMENSION)
    throw new Error(`${label}: B=${s.B} exceeds ${MAX_WORKGROUPS_PER_DIMENSION} (one workgroup per datapoint)`);
  if (!Number.isFinite(s.scale)) throw new Error(`${label}: scale must be finite, got ${s.scale}`);
  if (s.dOut.buffer === s.out.buffer) throw new Error(`${label}: dOut must not share a buffer with out`);
  if (!Number.isFinite(s.minLogVar)) throw new Error(`${label}: minLogVar must be finite, got ${s.minLogVar}`);
  const pipeline = ctx.pipeline('gaussian_mlp_likelihood', 'main', {
    WG: GAUSSIAN_MLP_LIKELIHOOD_WORKGROUP,
    SIGMOID_MEAN: (s.mean ?? 'sigmoid') === 'sigmoid',
  });
  const params = GAUSSIAN_MLP_LIKELIHOOD.uniformBuffer(ctx, `${label} params`, 'params', {
    B: s.B,
    D: s.D,
    scale: s.scale,
    minLogVar: s.minLogVar,
  });
  const entries = GAUSSIAN_MLP_LIKELIHOOD.entries({
    out: checkBinding(ctx, label, 'out', s.out, s.B * 2 * s.D, dims),
    x: checkBinding(ctx, label, 'x', s.x, s.B * s.D, dims),
    logp: checkBinding(ctx, label, 'logp', s.logp, s.B, dims),
    dOut: checkBinding(ctx, label, 'dOut', s.dOut, s.B * 2 * s.D, dims),
    params: { buffer: params },
  });
  return kernelDispatch(ctx, label, pipeline, entries, [s.B, 1, 1]);
}
