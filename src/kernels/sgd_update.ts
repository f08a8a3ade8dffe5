/** Wrapper of shaders/sgd_update.wgsl: θ −= lr · (g + λθ) over P parameters in one dispatch. */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform, type TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, flatGrid, kernelDispatch } from './kernel.ts';
import { checkHyperparameters, OPTIMIZER_WORKGROUP, type OptimizerHyperparameters, type OptimizerKernel } from './optimizer.ts';

export type SgdHyperparameters = OptimizerHyperparameters;

export function sgdUpdate(
  ctx: GpuContext,
  s: { P: number; params: TensorBinding; grads: TensorBinding; hyper: SgdHyperparameters },
  label = 'sgd_update',
): OptimizerKernel {
  const dims = { P: s.P };
  checkDims(label, dims);
  checkHyperparameters(label, { lr: s.hyper.lr, weightDecay: s.hyper.weightDecay });
  const pipeline = ctx.pipeline('sgd_update', 'main', { WG: OPTIMIZER_WORKGROUP });
  const pack = (lr: number) => packUniform([['u32', s.P], ['f32', lr], ['f32', s.hyper.weightDecay]]);
  const uniform = createUniformBuffer(ctx, `${label} hyper`, pack(s.hyper.lr));
  const entries: Array<[number, GPUBufferBinding]> = [
    [0, checkBinding(ctx, label, 'params', s.params, s.P, dims)],
    [1, checkBinding(ctx, label, 'grads', s.grads, s.P, dims)],
    [2, { buffer: uniform }],
  ];
  return {
    dispatch: kernelDispatch(ctx, label, pipeline, entries, flatGrid(label, s.P, OPTIMIZER_WORKGROUP)),
    setStep(_step, lr = s.hyper.lr) {
      ctx.device.queue.writeBuffer(uniform, 0, pack(lr));
    },
  };
}
