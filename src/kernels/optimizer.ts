/** What the three optimizer wrappers share: one dispatch over the flat parameter buffer, re-parameterised per step. */
import type { KernelDispatch } from './kernel.ts';

export interface OptimizerHyperparameters {
  /** Learning rate. */
  lr: number;
  /** λ of the Gaussian prior N(0, I/λ) on the parameters (coupled L2); 0 = maximum likelihood. */
  weightDecay: number;
}

export interface OptimizerKernel {
  dispatch: KernelDispatch;
  /** Writes the uniforms for step t ≥ 1 (learning rate, bias corrections) ahead of the next submission. */
  setStep(step: number, lr?: number): void;
}

/** Invocations per workgroup of every optimizer shader (their WG override). */
export const OPTIMIZER_WORKGROUP = 256;

export function checkHyperparameters(kernel: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`${kernel}: ${name} must be a finite number ≥ 0, got ${v}`);
  }
}
