// Shared GPU plumbing for the kernel tests: a uvu suite that acquires the device in `before` and destroys it
// in `after`, plus upload / run / read helpers. With no adapter the suite FAILS (acquireDevice throws), it
// never skips: CI must prove the kernels ran.
import { suite, type Test } from 'uvu';
import { acquireDevice, type GpuContext } from '../src/gpu/device.ts';
import type { ShaderSource } from '../src/gpu/shader_source.ts';
import { createStorageBuffer, readFloat32 } from '../src/gpu/buffers.ts';
import { submitDispatches, type KernelDispatch } from '../src/kernels/kernel.ts';

export interface GpuTestContext {
  gpu: GpuContext;
  acquireError?: unknown;
}

export function gpuSuite(name: string): Test<GpuTestContext> {
  const s = suite<GpuTestContext>(name, {} as GpuTestContext);
  // uvu reports an error thrown by a `before` hook but still exits 0, so the failure to get a device is kept
  // and thrown again by every test: no adapter means every GPU test fails, and the process exits 1.
  s.before(async (context) => {
    try {
      // In a browser page (demo/kernel_tests.ts) the bundler hands the shaders over; Node reads shaders/.
      context.gpu = await acquireDevice({
        shaders: (globalThis as { aevbTestShaders?: ShaderSource }).aevbTestShaders,
      });
    } catch (error) {
      context.acquireError = error;
    }
  });
  s.before.each((context) => {
    if (context.acquireError !== undefined) throw context.acquireError;
  });
  s.after(async (context) => {
    // A validation error anywhere in the suite fails it here, even if every comparison passed.
    try {
      await context.gpu?.settle();
    } finally {
      context.gpu?.destroy();
    }
  });
  return s;
}

/** A storage buffer holding `data` as float32. */
export function upload(gpu: GpuContext, data: ArrayLike<number>, label = 'test input'): GPUBuffer {
  return createStorageBuffer(gpu, label, Float32Array.from(data));
}

/** A zero-filled storage buffer of n floats. */
export function zeros(gpu: GpuContext, n: number, label = 'test output'): GPUBuffer {
  return createStorageBuffer(gpu, label, n);
}

/** Submits the dispatches and reads `count` floats of `buffer` back. */
export async function runAndRead(
  gpu: GpuContext,
  dispatches: KernelDispatch[],
  buffer: GPUBuffer,
  count: number,
): Promise<Float32Array> {
  submitDispatches(gpu, dispatches, 'test');
  return readFloat32(gpu, { buffer }, count);
}

/** Asserts that `fn` throws an Error whose message contains every one of `fragments`. */
export function throwsWith(fn: () => unknown, fragments: string[]): void {
  let message: string | null = null;
  try {
    fn();
  } catch (error) {
    message = (error as Error).message;
  }
  if (message === null) throw new Error(`expected an error mentioning ${fragments.join(', ')}, but nothing was thrown`);
  for (const f of fragments) {
    if (!message.includes(f)) throw new Error(`error message does not mention '${f}': ${message}`);
  }
}

/** Asserts that the promise returned by `fn` rejects with a message matching `pattern`. */
export async function rejectsWith(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (!pattern.test((error as Error).message))
      throw new Error(`rejected, but '${(error as Error).message}' does not match ${pattern}`);
    return;
  }
  throw new Error(`expected a rejection matching ${pattern}, but it resolved`);
}
