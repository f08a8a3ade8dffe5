/** Wrapper of shaders/elbo_mean.wgsl: metrics (3) = minibatch means [ELBO, KL, log p(x|z)], on the GPU. */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, kernelDispatch, type KernelDispatch } from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** One workgroup of this many invocations reduces the whole minibatch; a power of two. */
export const ELBO_MEAN_WORKGROUP = 64;
/** Layout of the metrics the kernel writes: each slot is passed to the shader as an override (SLOT_ELBO, …). */
export const ELBO_METRICS = { elbo: 0, kl: 1, logp: 2, count: 3 } as const;

export const ELBO_MEAN = shaderInterface('elbo_mean', {
  logp: 'read',
  kl: 'read',
  metrics: 'read_write',
  dims: uniform('Dims', { B: 'u32' }),
});

export function elboMean(
  ctx: GpuContext,
  s: { B: number; logp: TensorBinding; kl: TensorBinding; metrics: TensorBinding },
  label = 'elbo_mean',
): KernelDispatch {
  const dims = { B: s.B };
  checkDims(label, dims);
  const pipeline = ctx.pipeline('elbo_mean', 'main', {
    WG: ELBO_MEAN_WORKGROUP,
    SLOT_ELBO: ELBO_METRICS.elbo,
    SLOT_KL: ELBO_METRICS.kl,
    SLOT_LOGP: ELBO_METRICS.logp,
  });
  const entries = ELBO_MEAN.entries({
    logp: checkBinding(ctx, label, 'logp', s.logp, s.B, dims),
    kl: checkBinding(ctx, label, 'kl', s.kl, s.B, dims),
    metrics: checkBinding(ctx, label, 'metrics', s.metrics, ELBO_METRICS.count, dims),
    dims: { buffer: ELBO_MEAN.uniformBuffer(ctx, `${label} dims`, 'dims', { B: s.B }) },
  });
  return kernelDispatch(ctx, label, pipeline, entries, [1, 1, 1]);
}
