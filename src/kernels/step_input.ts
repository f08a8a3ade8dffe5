/**
 * Wrapper of shaders/step_input.wgsl: the minibatch's B·D bytes (as uploaded, 4 to a u32) become the step's
 * input x: (B·L, D) on the GPU — scaled by 1/255, dynamically binarized or dequantized with the uniforms of
 * Philox(seed, counter = step, the kind's stream), each row written L times — bit for bit what the CPU makes
 * of the same bytes (Batcher, StepInput.prepare, the upload ring's row repeat), which stays the tests' oracle.
 *
 * Built once per run; its dispatch goes first in the step's plan, after the copy of the bytes into `bytes`:
 *
 *     const input = stepInput(gpu, { B, D, L, kind: 'binarized', seed, bytes: { buffer: bytes }, x: { buffer: x } });
 *     input.setStep(t);                          // or bind a uniform that already holds t (`current`)
 *     encoder.copyBufferToBuffer(slot, 0, bytes, 0, paddedBytes(B * D));
 *     encodeDispatches(encoder, [input.dispatch, ...forward]);
 */
import type { GpuContext } from '../gpu/device.ts';
import { createStorageBuffer, type TensorBinding } from '../gpu/buffers.ts';
import { philoxKey } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import type { StepInputKind } from '../stream/step_input.ts';
import {
  ceilDiv,
  checkBinding,
  checkDims,
  describeDims,
  flatGrid,
  kernelDispatch,
  type KernelDispatch,
} from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Invocations per workgroup: the shader's WG override, which has no default of its own. */
export const STEP_INPUT_WORKGROUP = 64;
/** Elements one invocation makes: the bytes of one u32 word, which are also one Philox block's four words. */
const ELEMENTS_PER_INVOCATION = 4;
/** The byte values' multiplier into [0, 1]: every u8 source's RowBlock.scale, which the Batcher applies. */
export const BYTE_SCALE = 1 / 255;
/** Most elements of x: 2³⁰ floats (4 GiB) keeps every index the shader forms within a u32. */
const MAX_ELEMENTS = 2 ** 30;

export const STEP_INPUT = shaderInterface('step_input', {
  bytes: 'read',
  levels: 'read',
  x: 'read_write',
  params: uniform('Params', { n: 'u32', D: 'u32', L: 'u32', stream: 'u32', seedLo: 'u32', seedHi: 'u32' }),
  current: uniform('Current', { step: 'u32' }),
});

/** The Philox stream of each kind that draws: the streams the CPU's StepInput uses. */
const STREAMS: Record<Exclude<StepInputKind, 'values'>, number> = {
  binarized: RANDOM_STREAMS.binarization,
  dequantized: RANDOM_STREAMS.dequantization,
};

/**
 * Bytes to allocate and copy for `bytes` of a minibatch: the next multiple of 4 (a storage binding, a queue write
 * and a buffer copy all come in whole words; the shader ignores the pad).
 */
export function paddedBytes(bytes: number): number {
  return ceilDiv(bytes, 4) * 4;
}

/**
 * The 256 values the CPU makes of the bytes: float32(k · scale), k · scale rounded once to float32, as the
 * Batcher's store into its Float32Array does. Handed to the shader rather than computed there in float32,
 * where k/255 may round to the neighbouring float.
 */
export function byteLevels(scale: number = BYTE_SCALE): Float32Array {
  return Float32Array.from({ length: 256 }, (_, k) => k * scale);
}

export interface StepInputKernel {
  /** The launch to record before the forward pass (after the copy of the minibatch into `bytes`). */
  dispatch: KernelDispatch;
  /**
   * Writes the step number t (the Philox counter) into the `current` uniform: a queue write from a reused array,
   * no allocation, landing before the next submission. Not needed for 'values', nor when `current` is a uniform
   * the caller writes anyway.
   */
  setStep(step: number): void;
  /** Frees the buffers the wrapper made (the levels table and, unless given, `current`). */
  destroy(): void;
}

export function stepInput(
  ctx: GpuContext,
  s: {
    /** Rows of the minibatch. */
    B: number;
    /** Values per row. */
    D: number;
    /** Copies of each row in x (samples per datapoint). */
    L: number;
    /** What the bytes become: StepInput's kinds. */
    kind: StepInputKind;
    /** The run's seed (the Philox key). */
    seed: number | bigint;
    /** The minibatch: B·D bytes, row-major, in a binding of paddedBytes(B·D) bytes. */
    bytes: TensorBinding;
    /** (B·L, D) float32, written. */
    x: TensorBinding;
    /**
     * A uniform buffer laid out as `struct Current { step: u32 }` holding the step number t, e.g. the trainer's
     * NonFiniteFlags.current, which holds t already; by default the wrapper makes its own (step 1).
     */
    current?: GPUBuffer;
    /** The bytes' multiplier into [0, 1], the RowBlock's `scale` (default BYTE_SCALE, every u8 source's). */
    scale?: number;
  },
  label = 'step_input',
): StepInputKernel {
  const { B, D, L } = s;
  const dims = { B, D, L };
  checkDims(label, dims);
  const n = B * D;
  if (n * L > MAX_ELEMENTS)
    throw new Error(
      `${label}: x would hold B·L·D = ${n * L} floats, more than ${MAX_ELEMENTS} (${describeDims(dims)})`,
    );
  const stream = s.kind === 'values' ? 0 : STREAMS[s.kind]; // 'values' draws nothing: its stream is unused
  if (stream === undefined)
    throw new Error(`${label}: kind must be 'values', 'binarized' or 'dequantized', got '${s.kind}'`);
  const [seedLo, seedHi] = philoxKey(s.seed);
  const scale = s.scale ?? BYTE_SCALE;
  if (!(scale > 0 && Number.isFinite(scale)))
    throw new Error(`${label}: scale must be a finite number > 0 (the RowBlock's, 1/255 for bytes), got ${scale}`);

  // bytes is a byte count, not floats: checkBinding counts 4-byte words, so ask for the words.
  const words = ceilDiv(n, ELEMENTS_PER_INVOCATION);
  const bytesSize = s.bytes.size ?? s.bytes.buffer.size - (s.bytes.offset ?? 0);
  if (bytesSize < words * 4)
    throw new Error(
      `${label}: bytes holds ${bytesSize} bytes, needs ${words * 4} (B·D = ${n} padded to whole u32 words; ${describeDims(dims)})`,
    );
  const bytes = checkBinding(ctx, label, 'bytes', s.bytes, words, dims);
  const x = checkBinding(ctx, label, 'x', s.x, n * L, dims);

  const levels = createStorageBuffer(ctx, `${label} levels`, byteLevels(scale));
  const params = STEP_INPUT.uniformBuffer(ctx, `${label} params`, 'params', { n, D, L, stream, seedLo, seedHi });
  const ownCurrent =
    s.current === undefined ? STEP_INPUT.uniformBuffer(ctx, `${label} step`, 'current', { step: 1 }) : null;
  const current = s.current ?? ownCurrent!;
  const stepWord = new Uint32Array(1);

  const pipeline = ctx.pipeline('step_input', 'main', {
    WG: STEP_INPUT_WORKGROUP,
    BINARIZE: s.kind === 'binarized',
    DEQUANTIZE: s.kind === 'dequantized',
  });
  const entries = STEP_INPUT.entries({
    bytes,
    levels: { buffer: levels },
    x,
    params: { buffer: params },
    current: { buffer: current },
  });
  const dispatch = kernelDispatch(ctx, label, pipeline, entries, flatGrid(label, words, STEP_INPUT_WORKGROUP));
  return {
    dispatch,
    setStep(step: number) {
      if (!Number.isInteger(step) || step < 0 || step > 0xffffffff)
        throw new Error(`${label}: step must be a u32, got ${step}`);
      stepWord[0] = step;
      ctx.device.queue.writeBuffer(current, 0, stepWord);
    },
    destroy() {
      levels.destroy();
      params.destroy();
      ownCurrent?.destroy();
    },
  };
}
