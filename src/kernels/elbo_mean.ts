/** Wrapper of shaders/elbo_mean.wgsl: metrics (3) = minibatch means [ELBO, KL, log p(x|z)], on the GPU. */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform, type TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, kernelDispatch, type KernelDispatch } from './kernel.ts';

/** One workgroup of this many invocations reduces the whole minibatch; a power of two. */
export const ELBO_MEAN_WORKGROUP = 64;
/** Layout of the metrics the kernel writes: each slot is passed to the shader as an override (SLOT_ELBO, …). */
export const ELBO_METRICS = { elbo: 0, kl: 1, logp: 2, count: 3 } as const;

export function elboMean(ctx: GpuContext, s: { B: number; logp: TensorBinding; kl: TensorBinding; metrics: TensorBinding }, label = 'elbo_mean'): KernelDispatch {
  const dims = { B: s.B };
  checkDims(label, dims);
  const pipeline = ctx.pipeline('elbo_mean', 'main', {
    WG: ELBO_MEAN_WORKGROUP,
    SLOT_ELBO: ELBO_METRICS.elbo,
    SLOT_KL: ELBO_METRICS.kl,
    SLOT_LOGP: ELBO_METRICS.logp,
  });
  const uniform = createUniformBuffer(ctx, `${label} dims`, packUniform([['u32', s.B]]));
  const entries: Array<[number, GPUBufferBinding]> = [
    [0, checkBinding(ctx, label, 'logp', s.logp, s.B, dims)],
    [1, checkBinding(ctx, label, 'kl', s.kl, s.B, dims)],
    [2, checkBinding(ctx, label, 'metrics', s.metrics, ELBO_METRICS.count, dims)],
    [3, { buffer: uniform }],
  ];
  return kernelDispatch(ctx, label, pipeline, entries, [1, 1, 1]);
}
