/** Wrapper of shaders/sgd_update.wgsl: θ −= lr · (g + λθ) over P parameters in one dispatch. */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform, type TensorBinding } from '../gpu/buffers.ts';
import { checkDims, kernelDispatch } from './kernel.ts';
import type { NonFiniteFlags } from './first_non_finite.ts';
import { checkHyperparameters, nonFiniteBindings, OPTIMIZER_CONSTANTS, optimizerBinding, optimizerGrid, type OptimizerHyperparameters, type OptimizerKernel } from './optimizer.ts';

export type SgdHyperparameters = OptimizerHyperparameters;

export function sgdUpdate(
  ctx: GpuContext,
  s: { P: number; params: TensorBinding; grads: TensorBinding; hyper: SgdHyperparameters; flags: NonFiniteFlags },
  label = 'sgd_update',
): OptimizerKernel {
  const dims = { P: s.P };
  checkDims(label, dims);
  checkHyperparameters(label, { lr: s.hyper.lr, weightDecay: s.hyper.weightDecay });
  const pipeline = ctx.pipeline('sgd_update', 'main', OPTIMIZER_CONSTANTS);
  const pack = (lr: number) => packUniform([['u32', s.P], ['f32', lr], ['f32', s.hyper.weightDecay]]);
  const uniform = createUniformBuffer(ctx, `${label} hyper`, pack(s.hyper.lr));
  const entries: Array<[number, GPUBufferBinding]> = [
    [0, optimizerBinding(ctx, label, 'params', s.params, s.P)],
    [1, optimizerBinding(ctx, label, 'grads', s.grads, s.P)],
    [2, { buffer: uniform }],
    ...nonFiniteBindings(s.flags, 3),
  ];
  return {
    dispatch: kernelDispatch(ctx, label, pipeline, entries, optimizerGrid(label, s.P)),
    setStep(_step, lr = s.hyper.lr) {
      ctx.device.queue.writeBuffer(uniform, 0, pack(lr));
    },
  };
}
