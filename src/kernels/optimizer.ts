/** What the three optimizer wrappers share: one dispatch over the flat parameter buffer, re-parameterised per step. */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import { NON_FINITE_SLOTS } from './first_non_finite.ts';
import { checkBinding, flatGrid } from './kernel.ts';
import type { KernelDispatch } from './kernel.ts';

export interface OptimizerHyperparameters {
  /** Learning rate. */
  lr: number;
  /** λ of the Gaussian prior N(0, I/λ) on the parameters (coupled L2); 0 = maximum likelihood. */
  weightDecay: number;
}

export interface OptimizerKernel {
  /** The update; it also lowers the parameters' non-finite flag when an updated parameter is NaN or ±Inf. */
  dispatch: KernelDispatch;
  /** Writes the uniforms for step t ≥ 1 (learning rate, bias corrections) ahead of the next submission. */
  setStep(step: number, lr?: number): void;
}

/** Invocations per workgroup of every optimizer shader (their WG override). */
export const OPTIMIZER_WORKGROUP = 256;

/** Floats the optimizer shaders access per invocation: one vec4 of each buffer. */
export const OPTIMIZER_QUAD = 4;

/**
 * Floats every buffer of an optimizer over P parameters must hold: P rounded up to a quad (the shaders load and
 * store vec4; the elements past P are written back unchanged). ParameterLayout's P is always a multiple of 64.
 */
export function optimizerLength(P: number): number {
  return Math.ceil(P / OPTIMIZER_QUAD) * OPTIMIZER_QUAD;
}

/** The binding of one optimizer buffer: ⌈P/4⌉·4 floats, refused (naming the padding) when the buffer is shorter. */
export function optimizerBinding(ctx: GpuContext, kernel: string, name: string, binding: TensorBinding, P: number): GPUBufferBinding {
  const padded = optimizerLength(P);
  return checkBinding(ctx, kernel, name, binding, padded, padded === P ? { P } : { P, 'P rounded up to a multiple of 4': padded });
}

/** The optimizer shaders' override constants. */
export const OPTIMIZER_CONSTANTS = { WG: OPTIMIZER_WORKGROUP, NON_FINITE_SLOT: NON_FINITE_SLOTS.parameters } as const;

/** The dispatch grid of an optimizer over P parameters: one invocation per quad. */
export function optimizerGrid(kernel: string, P: number): [number, number, number] {
  return flatGrid(kernel, Math.ceil(P / OPTIMIZER_QUAD), OPTIMIZER_WORKGROUP);
}

export function checkHyperparameters(kernel: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`${kernel}: ${name} must be a finite number ≥ 0, got ${v}`);
  }
}
