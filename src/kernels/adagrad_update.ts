/** Wrapper of shaders/adagrad_update.wgsl: h += g²; θ −= lr·g/(√h + eps), g = grad + λθ, in one dispatch. */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform, type TensorBinding } from '../gpu/buffers.ts';
import { checkDims, kernelDispatch } from './kernel.ts';
import type { NonFiniteFlags } from './first_non_finite.ts';
import { checkHyperparameters, nonFiniteBindings, OPTIMIZER_CONSTANTS, optimizerBinding, optimizerGrid, type OptimizerHyperparameters, type OptimizerKernel } from './optimizer.ts';

export interface AdagradHyperparameters extends OptimizerHyperparameters {
  /** Added to √h; PyTorch's default is 1e-10. */
  eps: number;
}

export function adagradUpdate(
  ctx: GpuContext,
  s: { P: number; params: TensorBinding; grads: TensorBinding; accum: TensorBinding; hyper: AdagradHyperparameters; flags: NonFiniteFlags },
  label = 'adagrad_update',
): OptimizerKernel {
  const dims = { P: s.P };
  checkDims(label, dims);
  checkHyperparameters(label, { lr: s.hyper.lr, eps: s.hyper.eps, weightDecay: s.hyper.weightDecay });
  const pipeline = ctx.pipeline('adagrad_update', 'main', OPTIMIZER_CONSTANTS);
  const pack = (lr: number) => packUniform([['u32', s.P], ['f32', lr], ['f32', s.hyper.eps], ['f32', s.hyper.weightDecay]]);
  const uniform = createUniformBuffer(ctx, `${label} hyper`, pack(s.hyper.lr));
  const entries: Array<[number, GPUBufferBinding]> = [
    [0, optimizerBinding(ctx, label, 'params', s.params, s.P)],
    [1, optimizerBinding(ctx, label, 'grads', s.grads, s.P)],
    [2, optimizerBinding(ctx, label, 'accum', s.accum, s.P)],
    [3, { buffer: uniform }],
    ...nonFiniteBindings(s.flags, 4),
  ];
  return {
    dispatch: kernelDispatch(ctx, label, pipeline, entries, optimizerGrid(label, s.P)),
    setStep(_step, lr = s.hyper.lr) {
      ctx.device.queue.writeBuffer(uniform, 0, pack(lr));
    },
  };
}
