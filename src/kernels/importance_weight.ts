/**
 * Wrapper of shaders/importance_weight.wgsl: per-sample log importance weights folded into a running
 * log-sum-exp (accumulate, with FIRST for sample 0), and log p(x) ≈ logsumexp − log k (finish).
 */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform, type TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, kernelDispatch, linearGrid, type KernelDispatch } from './kernel.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const IMPORTANCE_WEIGHT_WORKGROUP = 64;

export interface ImportanceWeightKernels {
  /** Folds the current sample in; use `first` for sample 0 and `next` for the others. */
  first: KernelDispatch;
  next: KernelDispatch;
  /** Writes logPx (B) from the k samples folded in. */
  finish: KernelDispatch;
}

export function importanceWeight(
  ctx: GpuContext,
  s: { B: number; Z: number; k: number; logp: TensorBinding; z: TensorBinding; eps: TensorBinding; stats: TensorBinding; state: TensorBinding; logPx: TensorBinding },
  label = 'importance_weight',
): ImportanceWeightKernels {
  const dims = { B: s.B, Z: s.Z, k: s.k };
  checkDims(label, dims);
  const uniform = createUniformBuffer(ctx, `${label} params`, packUniform([['u32', s.B], ['u32', s.Z], ['u32', s.k]]));
  const inputs: Array<[number, GPUBufferBinding]> = [
    [0, checkBinding(ctx, label, 'logp', s.logp, s.B, dims)],
    [1, checkBinding(ctx, label, 'z', s.z, s.B * s.Z, dims)],
    [2, checkBinding(ctx, label, 'eps', s.eps, s.B * s.Z, dims)],
    [3, checkBinding(ctx, label, 'stats', s.stats, s.B * 2 * s.Z, dims)],
    [4, checkBinding(ctx, label, 'state', s.state, s.B * 2, dims)],
    [5, { buffer: uniform }],
  ];
  const grid = linearGrid(label, s.B, IMPORTANCE_WEIGHT_WORKGROUP);
  const accumulate = (first: boolean) =>
    kernelDispatch(ctx, `${label} ${first ? 'first' : 'next'}`, ctx.pipeline('importance_weight', 'accumulate', { WG: IMPORTANCE_WEIGHT_WORKGROUP, FIRST: first }), inputs, grid);
  const finishPipeline = ctx.pipeline('importance_weight', 'finish', { WG: IMPORTANCE_WEIGHT_WORKGROUP });
  const finish = kernelDispatch(ctx, `${label} finish`, finishPipeline, [inputs[4], inputs[5], [6, checkBinding(ctx, label, 'logPx', s.logPx, s.B, dims)]], grid);
  return { first: accumulate(true), next: accumulate(false), finish };
}
