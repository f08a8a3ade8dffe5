/** Wrapper of shaders/adagrad_update.wgsl: h += g²; θ −= lr·g/(√h + eps), g = grad + λθ, in one dispatch. */
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

export interface AdagradHyperparameters extends OptimizerHyperparameters {
  /** Added to √h; PyTorch's default is 1e-10. */
  eps: number;
}

export const ADAGRAD_UPDATE = shaderInterface('adagrad_update', {
  params: 'read_write',
  grads: 'read',
  accum: 'read_write',
  hyper: uniform('Hyper', { n: 'u32', lr: 'f32', eps: 'f32', weightDecay: 'f32' }),
  ...NON_FINITE_BINDINGS,
});

export function adagradUpdate(
  ctx: GpuContext,
  s: {
    P: number;
    params: TensorBinding;
    grads: TensorBinding;
    accum: TensorBinding;
    hyper: AdagradHyperparameters;
    flags: NonFiniteFlags;
  },
  label = 'adagrad_update',
): OptimizerKernel {
  const dims = { P: s.P };
  checkDims(label, dims);
  checkHyperparameters(label, { lr: s.hyper.lr, eps: s.hyper.eps, weightDecay: s.hyper.weightDecay });
  const pack = (_step: number, lr: number) =>
    ADAGRAD_UPDATE.pack('hyper', { n: s.P, lr, eps: s.hyper.eps, weightDecay: s.hyper.weightDecay });
  return optimizerKernel(ctx, label, ADAGRAD_UPDATE, { ...s, state: { accum: s.accum }, lr: s.hyper.lr }, pack);
}
