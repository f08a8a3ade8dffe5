/** Wrapper of shaders/sgd_update.wgsl: θ −= lr · (g + λθ) over P parameters in one dispatch. */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, type TensorBinding } from '../gpu/buffers.ts';
import { checkDims, kernelDispatch } from './kernel.ts';
import { NON_FINITE_BINDINGS, type NonFiniteFlags } from './first_non_finite.ts';
import { shaderInterface, uniform } from './shader_interface.ts';
import { checkHyperparameters, OPTIMIZER_CONSTANTS, optimizerBinding, optimizerGrid, type OptimizerHyperparameters, type OptimizerKernel } from './optimizer.ts';

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
  const pipeline = ctx.pipeline('sgd_update', 'main', OPTIMIZER_CONSTANTS);
  const pack = (lr: number) => SGD_UPDATE.pack('hyper', { n: s.P, lr, weightDecay: s.hyper.weightDecay });
  const hyper = createUniformBuffer(ctx, `${label} hyper`, pack(s.hyper.lr));
  const entries = SGD_UPDATE.entries({
    params: optimizerBinding(ctx, label, 'params', s.params, s.P),
    grads: optimizerBinding(ctx, label, 'grads', s.grads, s.P),
    hyper: { buffer: hyper },
    ...s.flags.bindings(),
  });
  return {
    dispatch: kernelDispatch(ctx, label, pipeline, entries, optimizerGrid(label, s.P)),
    setStep(_step, lr = s.hyper.lr) {
      ctx.device.queue.writeBuffer(hyper, 0, pack(lr));
    },
  };
}
