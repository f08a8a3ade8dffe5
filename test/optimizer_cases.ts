// Shared inputs of the three optimizer tests: parameter counts that do and do not fill a workgroup (and one
// past 65535 workgroups' worth would be too slow on a CPU driver; flatGrid's 2-D split is tested in grid.test.ts).
import * as assert from 'uvu/assert';
import { seededUniform } from './seeded_random.ts';
import { runAndRead, upload } from './gpu_suite.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { submitDispatches } from '../src/kernels/kernel.ts';
import { NonFiniteFlags, type NonFiniteSteps } from '../src/kernels/first_non_finite.ts';
import { optimizerLength, type OptimizerKernel } from '../src/kernels/optimizer.ts';

export const PARAMETER_COUNTS = [1, 7, 256, 1000, 815_148];

export function optimizerInputs(P: number, seed: number) {
  return {
    params: seededUniform(seed, P, -1, 1),
    grads: seededUniform(seed + 1, P, -0.1, 0.1),
  };
}

/** What the padding past P of the parameters and the state holds in the tests: any update would change it. */
export const PADDING = 1234.5;

/**
 * `values` in a buffer of ⌈P/4⌉·4 floats (the optimizers access vec4 quads), the rest `padding`. The gradients
 * are padded with NaN: an update that wrote its padding would then leave NaN there, and one that checked it would
 * set the parameters' non-finite flag.
 */
export function paddedUpload(gpu: GpuContext, values: ArrayLike<number>, P: number, padding = PADDING): GPUBuffer {
  const data = new Float32Array(optimizerLength(P)).fill(padding);
  data.set(Float32Array.from(values).subarray(0, P));
  return upload(gpu, data);
}

/** The first P floats of a padded optimizer buffer, after asserting that its padding is still PADDING. */
export async function readPadded(gpu: GpuContext, buffer: GPUBuffer, P: number, label: string): Promise<Float32Array> {
  const all = await runAndRead(gpu, [], buffer, optimizerLength(P));
  for (let i = P; i < all.length; i++)
    assert.ok(all[i] === PADDING, `${label}: padding element ${i} (past P=${P}) was overwritten with ${all[i]}`);
  return all.subarray(0, P);
}

/**
 * Runs `steps` updates whose gradient has a NaN or ±Inf at `at` (near the end, so in the last quad when P is not
 * a multiple of 4), each with the flags' step set; returns the flags. The parameters' flag must name the first step.
 */
export async function flagsAfterNonFiniteGradient(
  gpu: GpuContext,
  P: number,
  bad: number,
  make: (grads: GPUBuffer, flags: NonFiniteFlags) => OptimizerKernel,
): Promise<NonFiniteSteps> {
  const grads = new Float32Array(P).fill(0.01);
  grads[P - 1] = bad;
  const flags = new NonFiniteFlags(gpu, 'test flags');
  try {
    const kernel = make(paddedUpload(gpu, grads, P, NaN), flags);
    for (const step of [3, 4]) {
      kernel.setStep(step);
      flags.setStep(step);
      submitDispatches(gpu, [kernel.dispatch]);
    }
    return await flags.read();
  } finally {
    flags.destroy();
  }
}
