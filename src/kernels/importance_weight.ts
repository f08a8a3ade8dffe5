/**
 * Wrapper of shaders/importance_weight.wgsl: per-sample log importance weights folded into a running
 * log-sum-exp (accumulate, with FIRST for sample 0), and log p(x) ≈ logsumexp − log k (finish).
 */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, kernelDispatch, linearGrid, type KernelDispatch } from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const IMPORTANCE_WEIGHT_WORKGROUP = 64;

export const IMPORTANCE_WEIGHT = shaderInterface('importance_weight', {
  logp: 'read',
  z: 'read',
  eps: 'read',
  stats: 'read',
  state: 'read_write',
  params: uniform('Params', { B: 'u32', Z: 'u32', k: 'u32' }),
  logPx: 'read_write',
});

export interface ImportanceWeightKernels {
  /** Folds the current sample in; use `first` for sample 0 and `next` for the others. */
  first: KernelDispatch;
  next: KernelDispatch;
  /** Writes logPx (B) from the k samples folded in. */
  finish: KernelDispatch;
}

export function importanceWeight(
  ctx: GpuContext,
  s: {
    B: number;
    Z: number;
    k: number;
    logp: TensorBinding;
    z: TensorBinding;
    eps: TensorBinding;
    stats: TensorBinding;
    state: TensorBinding;
    logPx: TensorBinding;
  },
  label = 'importance_weight',
): ImportanceWeightKernels {
  const dims = { B: s.B, Z: s.Z, k: s.k };
  checkDims(label, dims);
  // What both entry points bind: the running state and the dims.
  const running = {
    state: checkBinding(ctx, label, 'state', s.state, s.B * 2, dims),
    params: { buffer: IMPORTANCE_WEIGHT.uniformBuffer(ctx, `${label} params`, 'params', { B: s.B, Z: s.Z, k: s.k }) },
  };
  const inputs = IMPORTANCE_WEIGHT.entries({
    logp: checkBinding(ctx, label, 'logp', s.logp, s.B, dims),
    z: checkBinding(ctx, label, 'z', s.z, s.B * s.Z, dims),
    eps: checkBinding(ctx, label, 'eps', s.eps, s.B * s.Z, dims),
    stats: checkBinding(ctx, label, 'stats', s.stats, s.B * 2 * s.Z, dims),
    ...running,
  });
  const grid = linearGrid(label, s.B, IMPORTANCE_WEIGHT_WORKGROUP);
  const accumulate = (first: boolean) =>
    kernelDispatch(
      ctx,
      `${label} ${first ? 'first' : 'next'}`,
      ctx.pipeline('importance_weight', 'accumulate', { WG: IMPORTANCE_WEIGHT_WORKGROUP, FIRST: first }),
      inputs,
      grid,
    );
  const finishPipeline = ctx.pipeline('importance_weight', 'finish', { WG: IMPORTANCE_WEIGHT_WORKGROUP });
  const finishEntries = IMPORTANCE_WEIGHT.entries({
    ...running,
    logPx: checkBinding(ctx, label, 'logPx', s.logPx, s.B, dims),
  });
  const finish = kernelDispatch(ctx, `${label} finish`, finishPipeline, finishEntries, grid);
  return { first: accumulate(true), next: accumulate(false), finish };
}
