/** The optimizers aevb has, their hyperparameters, and the kernel each one dispatches. */
import type { GpuContext } from '../gpu/device.ts';
import { createStorageBuffer } from '../gpu/buffers.ts';
import { sgdUpdate } from '../kernels/sgd_update.ts';
import { adagradUpdate } from '../kernels/adagrad_update.ts';
import { adamUpdate } from '../kernels/adam_update.ts';
import type { NonFiniteFlags } from '../kernels/first_non_finite.ts';
import type { OptimizerKernel } from '../kernels/optimizer.ts';

export type OptimizerConfig =
  | { kind: 'sgd'; lr: number; weightDecay: number }
  /** The paper's choice (lr 0.02 in its MNIST runs). */
  | { kind: 'adagrad'; lr: number; eps: number; weightDecay: number }
  | { kind: 'adam'; lr: number; beta1: number; beta2: number; eps: number; weightDecay: number };

/** Each optimizer's hyperparameters unless a run sets them (TrainConfig sets lr and weightDecay). */
export const DEFAULT_OPTIMIZERS = {
  adam: { kind: 'adam', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
  adagrad: { kind: 'adagrad', lr: 0.02, eps: 1e-10, weightDecay: 0 },
  sgd: { kind: 'sgd', lr: 0.01, weightDecay: 0 },
} as const satisfies Record<OptimizerConfig['kind'], OptimizerConfig>;

/** The optimizers by name, as TrainConfig's `optimizer` field offers them. */
export const OPTIMIZER_KINDS = Object.keys(DEFAULT_OPTIMIZERS) as Array<OptimizerConfig['kind']>;

/** Names of the per-parameter state buffers each optimizer keeps (each mirrors the parameter layout). */
export function optimizerStateNames(config: OptimizerConfig): string[] {
  switch (config.kind) {
    case 'sgd':
      return [];
    case 'adagrad':
      return ['accum'];
    case 'adam':
      return ['m', 'v'];
  }
}

/** Creates the optimizer's zeroed state buffers and its update kernel over P parameters. */
export function createOptimizer(
  ctx: GpuContext,
  config: OptimizerConfig,
  P: number,
  params: GPUBuffer,
  grads: GPUBuffer,
  flags: NonFiniteFlags,
): { kernel: OptimizerKernel; state: Record<string, GPUBuffer> } {
  const state = Object.fromEntries(
    optimizerStateNames(config).map((name) => [name, createStorageBuffer(ctx, `optimizer ${name}`, P)]),
  );
  const common = { P, params: { buffer: params }, grads: { buffer: grads }, flags };
  switch (config.kind) {
    case 'sgd':
      return { state, kernel: sgdUpdate(ctx, { ...common, hyper: config }) };
    case 'adagrad':
      return { state, kernel: adagradUpdate(ctx, { ...common, accum: { buffer: state.accum }, hyper: config }) };
    case 'adam':
      return {
        state,
        kernel: adamUpdate(ctx, { ...common, m: { buffer: state.m }, v: { buffer: state.v }, hyper: config }),
      };
  }
}
