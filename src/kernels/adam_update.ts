/**
 * Wrapper of shaders/adam_update.wgsl: Adam in PyTorch's form over P parameters in one dispatch. The bias
 * corrections depend only on the step, so setStep computes them here in float64 and writes them as uniforms.
 */
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

export interface AdamHyperparameters extends OptimizerHyperparameters {
  beta1: number;
  beta2: number;
  eps: number;
}

export const ADAM_UPDATE = shaderInterface('adam_update', {
  params: 'read_write',
  grads: 'read',
  m: 'read_write',
  v: 'read_write',
  hyper: uniform('Hyper', {
    n: 'u32',
    beta1: 'f32',
    beta2: 'f32',
    oneMinusBeta1: 'f32',
    oneMinusBeta2: 'f32',
    eps: 'f32',
    weightDecay: 'f32',
    stepSize: 'f32',
    sqrtBiasCorrection2: 'f32',
  }),
  ...NON_FINITE_BINDINGS,
});

export function adamUpdate(
  ctx: GpuContext,
  s: {
    P: number;
    params: TensorBinding;
    grads: TensorBinding;
    m: TensorBinding;
    v: TensorBinding;
    hyper: AdamHyperparameters;
    flags: NonFiniteFlags;
  },
  label = 'adam_update',
): OptimizerKernel {
  const dims = { P: s.P };
  checkDims(label, dims);
  const h = s.hyper;
  checkHyperparameters(label, { lr: h.lr, beta1: h.beta1, beta2: h.beta2, eps: h.eps, weightDecay: h.weightDecay });
  if (h.beta1 >= 1 || h.beta2 >= 1)
    throw new Error(`${label}: beta1 and beta2 must be < 1, got ${h.beta1}, ${h.beta2}`);
  const pack = (step: number, lr: number) => {
    if (!Number.isInteger(step) || step < 1) throw new Error(`${label}: step must be an integer ≥ 1, got ${step}`);
    const stepSize = lr / (1 - h.beta1 ** step);
    const sqrtBiasCorrection2 = Math.sqrt(1 - h.beta2 ** step);
    return ADAM_UPDATE.pack('hyper', {
      n: s.P,
      beta1: h.beta1,
      beta2: h.beta2,
      oneMinusBeta1: 1 - h.beta1,
      oneMinusBeta2: 1 - h.beta2,
      eps: h.eps,
      weightDecay: h.weightDecay,
      stepSize,
      sqrtBiasCorrection2,
    });
  };
  return optimizerKernel(ctx, label, ADAM_UPDATE, { ...s, state: { m: s.m, v: s.v }, lr: h.lr }, pack);
}
