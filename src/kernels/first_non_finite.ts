/**
 * Wrapper of shaders/first_non_finite.wgsl: a few u32 flags on the GPU, one per watched quantity (the step's
 * loss, the parameters, the optimizer state), each holding the first step at which that quantity held NaN or
 * ±Inf. The dispatches are recorded into the step plan after the optimizer update, so no step waits for the
 * CPU (the parameters' flag is set by the optimizer update itself, shaders/*_update.wgsl, which has every updated
 * parameter in hand); the host reads the flags only when it reads metrics back or before it hands out a snapshot.
 */
import type { GpuContext } from '../gpu/device.ts';
import { readFloat32, type TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, checkDims, flatGrid, kernelDispatch, type KernelDispatch } from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Invocations per workgroup (the shader's WG override). */
export const FIRST_NON_FINITE_WORKGROUP = 256;
/**
 * Values each invocation checks (the shader's PER_INVOCATION override): fewer, busier invocations. On lavapipe
 * one value per invocation made the checks of the 784-500-20 Adam step cost ~10% of the step (bench/non_finite_flags.ts).
 */
export const FIRST_NON_FINITE_PER_INVOCATION = 16;
/** Which flag a dispatch writes (the shader's SLOT override). */
export const NON_FINITE_SLOTS = { loss: 0, parameters: 1, optimizerState: 2, count: 3 } as const;
/** A flag that has never been set: larger than any step. */
export const NO_STEP = 0xffffffff;

/**
 * The two bindings of every kernel that raises a flag: the flags (NON_FINITE_SLOTS.count atomic u32) and the
 * step being run. The optimizer shaders declare them after their own (src/kernels/optimizer.ts).
 */
export const NON_FINITE_BINDINGS = {
  flags: 'read_write',
  current: uniform('Current', { step: 'u32' }),
} as const;

export const FIRST_NON_FINITE = shaderInterface('first_non_finite', { values: 'read', ...NON_FINITE_BINDINGS });

export type NonFiniteQuantity = Exclude<keyof typeof NON_FINITE_SLOTS, 'count'>;
/** The first step at which each quantity was non-finite, or null where it never was. */
export type NonFiniteSteps = Record<NonFiniteQuantity, number | null>;

/** The flags of one step plan and the uniform holding the number of the step being run. */
export class NonFiniteFlags {
  /** (NON_FINITE_SLOTS.count) u32, NO_STEP until set. */
  readonly flags: GPUBuffer;
  /** The step number t ≥ 1 that the next submission runs. */
  readonly current: GPUBuffer;
  private readonly ctx: GpuContext;
  private readonly writeStep: (step: number) => void;

  constructor(ctx: GpuContext, label = 'non-finite flags') {
    this.ctx = ctx;
    this.flags = ctx.device.createBuffer({
      label,
      size: NON_FINITE_SLOTS.count * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.current = FIRST_NON_FINITE.uniformBuffer(ctx, `${label} step`, 'current', { step: 1 });
    this.writeStep = FIRST_NON_FINITE.fieldWriter(ctx, this.current, 'current', 'step');
    this.reset();
  }

  /** Written ahead of the submission that runs step t (queue writes land before later submissions). */
  setStep(step: number): void {
    if (!Number.isInteger(step) || step < 1 || step >= NO_STEP)
      throw new Error(`first_non_finite: step must be an integer in [1, ${NO_STEP}), got ${step}`);
    this.writeStep(step);
  }

  /** The NON_FINITE_BINDINGS of a kernel that raises these flags. */
  bindings(): { flags: GPUBufferBinding; current: GPUBufferBinding } {
    return { flags: { buffer: this.flags }, current: { buffer: this.current } };
  }

  /** Forgets every recorded step (after the parameters were replaced by finite ones). */
  reset(): void {
    this.ctx.device.queue.writeBuffer(this.flags, 0, new Uint32Array(NON_FINITE_SLOTS.count).fill(NO_STEP));
  }

  /** Reads the flags back (after everything submitted before this call has run). */
  async read(): Promise<NonFiniteSteps> {
    const floats = await readFloat32(this.ctx, { buffer: this.flags }, NON_FINITE_SLOTS.count);
    // The bytes are u32s: viewed, never converted, so every bit pattern survives.
    return decodeNonFiniteSteps(new Uint32Array(floats.buffer, floats.byteOffset, NON_FINITE_SLOTS.count));
  }

  destroy(): void {
    this.flags.destroy();
    this.current.destroy();
  }
}

/** The flags' raw u32 values as steps (NO_STEP becomes null). */
export function decodeNonFiniteSteps(raw: Uint32Array): NonFiniteSteps {
  const at = (slot: number) => (raw[slot] === NO_STEP ? null : raw[slot]);
  return {
    loss: at(NON_FINITE_SLOTS.loss),
    parameters: at(NON_FINITE_SLOTS.parameters),
    optimizerState: at(NON_FINITE_SLOTS.optimizerState),
  };
}

/** The earliest step in `steps`, or null when nothing was ever non-finite. */
export function earliestNonFinite(steps: NonFiniteSteps): number | null {
  const set = Object.values(steps).filter((s): s is number => s !== null);
  return set.length === 0 ? null : Math.min(...set);
}

/** A launch that lowers flags[quantity] to the current step if any of the N floats of `values` is NaN or ±Inf. */
export function firstNonFinite(
  ctx: GpuContext,
  s: { N: number; quantity: NonFiniteQuantity; values: TensorBinding; flags: NonFiniteFlags },
  label = `first_non_finite ${s.quantity}`,
): KernelDispatch {
  const dims = { N: s.N };
  checkDims(label, dims);
  const pipeline = ctx.pipeline('first_non_finite', 'main', {
    WG: FIRST_NON_FINITE_WORKGROUP,
    PER_INVOCATION: FIRST_NON_FINITE_PER_INVOCATION,
    N: s.N,
    SLOT: NON_FINITE_SLOTS[s.quantity],
  });
  const entries = FIRST_NON_FINITE.entries({
    values: checkBinding(ctx, label, 'values', s.values, s.N, dims),
    ...s.flags.bindings(),
  });
  const invocations = Math.ceil(s.N / FIRST_NON_FINITE_PER_INVOCATION);
  return kernelDispatch(ctx, label, pipeline, entries, flatGrid(label, invocations, FIRST_NON_FINITE_WORKGROUP));
}
