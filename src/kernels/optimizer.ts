/** What the three optimizer wrappers share: one dispatch over the flat parameter buffer, re-parameterised per step. */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, type TensorBinding } from '../gpu/buffers.ts';
import { NON_FINITE_SLOTS, type NonFiniteFlags } from './first_non_finite.ts';
import { checkBinding, flatGrid, kernelDispatch } from './kernel.ts';
import type { KernelDispatch } from './kernel.ts';
import type { ShaderInterface } from './shader_interface.ts';

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
export function optimizerBinding(
  ctx: GpuContext,
  kernel: string,
  name: string,
  binding: TensorBinding,
  P: number,
): GPUBufferBinding {
  const padded = optimizerLength(P);
  return checkBinding(
    ctx,
    kernel,
    name,
    binding,
    padded,
    padded === P ? { P } : { P, 'P rounded up to a multiple of 4': padded },
  );
}

/** The optimizer shaders' override constants. */
export const OPTIMIZER_CONSTANTS = { WG: OPTIMIZER_WORKGROUP, NON_FINITE_SLOT: NON_FINITE_SLOTS.parameters } as const;

/** The dispatch grid of an optimizer over P parameters: one invocation per quad. */
export function optimizerGrid(kernel: string, P: number): [number, number, number] {
  return flatGrid(kernel, Math.ceil(P / OPTIMIZER_QUAD), OPTIMIZER_WORKGROUP);
}

/**
 * The update of one optimizer: its shader (whose interface is params, grads, the state buffers, hyper, then the
 * NON_FINITE_BINDINGS), its state buffers by binding name, and `pack`, the bytes of its `hyper` uniform for step
 * t ≥ 1 at learning rate lr (written for step 1 now, and again by setStep).
 */
export function optimizerKernel(
  ctx: GpuContext,
  label: string,
  shader: ShaderInterface,
  s: {
    P: number;
    params: TensorBinding;
    grads: TensorBinding;
    state: Record<string, TensorBinding>;
    lr: number;
    flags: NonFiniteFlags;
  },
  pack: (step: number, lr: number) => ArrayBuffer,
): OptimizerKernel {
  const pipeline = ctx.pipeline(shader.stems[0], 'main', OPTIMIZER_CONSTANTS);
  const hyper = createUniformBuffer(ctx, `${label} hyper`, pack(1, s.lr));
  const buffers = Object.entries({ params: s.params, grads: s.grads, ...s.state });
  const entries = shader.entries({
    ...Object.fromEntries(buffers.map(([name, binding]) => [name, optimizerBinding(ctx, label, name, binding, s.P)])),
    hyper: { buffer: hyper },
    ...s.flags.bindings(),
  });
  return {
    dispatch: kernelDispatch(ctx, label, pipeline, entries, optimizerGrid(label, s.P)),
    setStep(step, lr = s.lr) {
      ctx.device.queue.writeBuffer(hyper, 0, pack(step, lr));
    },
  };
}

export function checkHyperparameters(kernel: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`${kernel}: ${name} must be a finite number ≥ 0, got ${v}`);
  }
}
