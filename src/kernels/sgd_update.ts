/** Wrapper of shaders/sgd_update.wgsl: θ −= lr · (g + λθ) over P parameters in one dispatch. */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import { checkDims } from './kernel.ts';
import { NON_FINITE_BINDINGS, type NonFiniteFlags } from './first_non_finite.ts';
import { shaderInterface, uniform } from './shader_interface.ts';
import {
  checkHyperparameters,
  optimizerKernel,
  type OptimizerHyperparameters,
  type OptimizerKernel,
} from './optimizer.ts';

export type SgdHyperparameters = OptimizerHyperparameters;

export const SGD_UPDATE = shaderInterface('sgd_update', {
  params: 'read_write',
  grads: 'read',
  hyper: uniform('Hyper', { n: 'u32', lr: 'f32', weightDecay: 'f32' }),
  ...NON_FINITE_BINDINGS,
});

export function sgdUpdate(
  ctx: GpuContext,
  s: { P: number; params: TensorBinding; grads: TensorBinding; hyper: SgdHyperparameters; flags: NonFiniteFlags },
  label = 'sgd_update',
): OptimizerKernel {
  const dims = { P: s.P };
  checkDims(label, dims);
  checkHyperparameters(label, { lr: s.hyper.lr, weightDecay: s.hyper.weightDecay });
  const pack = (_step: number, lr: number) =>
    SGD_UPDATE.pack('hyper', { n: s.P, lr, weightDecay: s.hyper.weightDecay });
  return optimizerKernel(ctx, label, SGD_UPDATE, { ...s, state: {}, lr: s.hyper.lr }, pack);
}
