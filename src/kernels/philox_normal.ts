/**
 * Wrapper of shaders/philox_normal.wgsl: n standard normals from Philox-4x32-10 keyed by the run's seed,
 * the step and a stream id. setStep() rewrites the step before each submission (a queue write, no wait).
 */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform, type TensorBinding } from '../gpu/buffers.ts';
import { philoxKey } from '../random/philox.ts';
import { ceilDiv, checkBinding, checkDims, kernelDispatch, linearGrid, type KernelDispatch } from './kernel.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const PHILOX_NORMAL_WORKGROUP = 64;
/** Normals produced by one invocation (one Philox call gives four 32-bit words). */
const NORMALS_PER_INVOCATION = 4;

export interface PhiloxNormalKernel {
  dispatch: KernelDispatch;
  /** Sets the step counter used by the next submission (steps are u32). */
  setStep(step: number): void;
}

export function philoxNormal(
  ctx: GpuContext,
  s: { n: number; seed: number | bigint; stream: number; out: TensorBinding },
  label = 'philox_normal',
): PhiloxNormalKernel {
  const dims = { n: s.n };
  checkDims(label, dims);
  const [seedLo, seedHi] = philoxKey(s.seed);
  const out = checkBinding(ctx, label, 'out', s.out, s.n, dims);
  const pipeline = ctx.pipeline('philox_normal', 'main', { WG: PHILOX_NORMAL_WORKGROUP });
  const params = (step: number) => packUniform([['u32', s.n], ['u32', step], ['u32', s.stream], ['u32', seedLo], ['u32', seedHi]]);
  const uniform = createUniformBuffer(ctx, `${label} params`, params(0));
  const dispatch = kernelDispatch(ctx, label, pipeline, [[0, out], [1, { buffer: uniform }]], linearGrid(label, ceilDiv(s.n, NORMALS_PER_INVOCATION), PHILOX_NORMAL_WORKGROUP));
  return {
    dispatch,
    setStep(step: number) {
      ctx.device.queue.writeBuffer(uniform, 0, params(step));
    },
  };
}
