/**
 * Wrapper of shaders/philox_normal.wgsl: n standard normals from Philox-4x32-10 keyed by the run's seed,
 * the step and a stream id. setStep() rewrites the step before each submission (a queue write, no wait).
 */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, type TensorBinding } from '../gpu/buffers.ts';
import { philoxKey } from '../random/philox.ts';
import { ceilDiv, checkBinding, checkDims, kernelDispatch, linearGrid, type KernelDispatch } from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const PHILOX_NORMAL_WORKGROUP = 64;
/** Normals produced by one invocation (one Philox call gives four 32-bit words). */
const NORMALS_PER_INVOCATION = 4;

export const PHILOX_NORMAL = shaderInterface('philox_normal', {
  out: 'read_write',
  params: uniform('Params', { n: 'u32', step: 'u32', stream: 'u32', seedLo: 'u32', seedHi: 'u32' }),
});

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
  const pack = (step: number) => PHILOX_NORMAL.pack('params', { n: s.n, step, stream: s.stream, seedLo, seedHi });
  const params = createUniformBuffer(ctx, `${label} params`, pack(0));
  const entries = PHILOX_NORMAL.entries({ out, params: { buffer: params } });
  const writeStep = PHILOX_NORMAL.fieldWriter(ctx, params, 'params', 'step');
  const dispatch = kernelDispatch(
    ctx,
    label,
    pipeline,
    entries,
    linearGrid(label, ceilDiv(s.n, NORMALS_PER_INVOCATION), PHILOX_NORMAL_WORKGROUP),
  );
  return {
    dispatch,
    setStep: writeStep,
  };
}
