// shaders/step_input.wgsl against the CPU path it replaces, which stays the oracle (test/reference/step_input.ts:
// the Batcher, StepInput's scaling and binarization or dequantization keyed by the step, the upload ring's L
// copies of each row). The comparison is bit for bit: every value is one float32 rounding of a number both sides
// form exactly (see the shader's header), so any difference is a bug, not rounding.
import * as assert from 'uvu/assert';
import { assertClose } from './assert_close.ts';
import { gpuSuite, throwsWith, zeros } from './gpu_suite.ts';
import { mulberry32 } from './seeded_random.ts';
import { stepInputReference } from './reference/step_input.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { readFloat32 } from '../src/gpu/buffers.ts';
import { philox4x32, philoxKey, wordToUniform } from '../src/random/philox.ts';
import { RANDOM_STREAMS } from '../src/random/streams.ts';
import type { StepInputKind } from '../src/stream/step_input.ts';
import { dequantizeValues } from '../src/data/dequantization.ts';
import { submitDispatches } from '../src/kernels/kernel.ts';
import { NonFiniteFlags } from '../src/kernels/first_non_finite.ts';
import { BYTE_SCALE, paddedBytes, stepInput } from '../src/kernels/step_input.ts';

const test = gpuSuite('step_input');

const KINDS: StepInputKind[] = ['values', 'binarized', 'dequantized'];
/** What the pad bytes of the last word and the floats past x hold: the kernel must read and write neither. */
const PAD_BYTE = 0xab;
const SENTINEL = -7.25;
const SENTINEL_FLOATS = 5;

/** B·D seeded bytes; the first 256 (when there are as many) are 0 … 255, so every level is met. */
function seededBytes(seed: number, n: number): Uint8Array {
  const next = mulberry32(seed);
  return Uint8Array.from({ length: n }, (_, e) => (e < 256 && n >= 256 ? e : Math.floor(next() * 256)));
}

/** The CPU's x for `s` at step `step` (the reference: Batcher, StepInput, the upload ring's row repeat). */
function cpuStepInput(
  bytes: Uint8Array,
  s: { B: number; D: number; L: number; kind: StepInputKind; seed: number },
  step: number,
): Float32Array {
  return stepInputReference(bytes, { ...s, scale: BYTE_SCALE }, step);
}

/** A storage buffer holding `bytes`, its last word padded with PAD_BYTE. */
function uploadBytes(gpu: GpuContext, bytes: Uint8Array): GPUBuffer {
  const padded = new Uint8Array(paddedBytes(bytes.length)).fill(PAD_BYTE);
  padded.set(bytes);
  const buffer = gpu.device.createBuffer({
    label: 'test bytes',
    size: padded.length,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  gpu.device.queue.writeBuffer(buffer, 0, padded);
  return buffer;
}

/** x with SENTINEL_FLOATS more floats after it, all SENTINEL. */
function sentinelOutput(gpu: GpuContext, floats: number): GPUBuffer {
  const buffer = zeros(gpu, floats + SENTINEL_FLOATS, 'test x');
  gpu.device.queue.writeBuffer(buffer, 0, new Float32Array(floats + SENTINEL_FLOATS).fill(SENTINEL));
  return buffer;
}

/** actual and expected hold the same float32 bits (assertClose at zero tolerance reports the first pairs and the worst). */
function assertBitIdentical(actual: Float32Array, expected: Float32Array, label: string): void {
  assertClose(actual, expected, { atol: 0, rtol: 0, label });
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const i = a.findIndex((bits, j) => bits !== e[j]);
  if (i >= 0) throw new Error(`${label}: [${i}] bits 0x${a[i].toString(16)}, expected 0x${e[i].toString(16)}`);
}

/** Runs the kernel at each step and compares x, and the floats after it, with the CPU's. */
async function checkSteps(
  gpu: GpuContext,
  s: { B: number; D: number; L: number; kind: StepInputKind; seed: number },
  steps: number[],
): Promise<void> {
  const { B, D, L } = s;
  const bytes = seededBytes(B * 1000 + D * 10 + L, B * D);
  const out = sentinelOutput(gpu, B * L * D);
  const kernel = stepInput(gpu, {
    ...s,
    bytes: { buffer: uploadBytes(gpu, bytes) },
    x: { buffer: out, size: B * L * D * 4 },
  });
  for (const step of steps) {
    kernel.setStep(step);
    submitDispatches(gpu, [kernel.dispatch], 'test');
    const read = await readFloat32(gpu, { buffer: out }, B * L * D + SENTINEL_FLOATS);
    const label = `step_input ${s.kind} B=${B} D=${D} L=${L} step=${step}`;
    assertBitIdentical(read.subarray(0, B * L * D), cpuStepInput(bytes, s, step), label);
    assert.ok(
      read.subarray(B * L * D).every((v) => v === SENTINEL),
      `${label}: wrote past x`,
    );
  }
  kernel.destroy();
}

for (const kind of KINDS) {
  for (const L of [1, 3]) {
    // B·D = 667: not a multiple of 4, so the last word is partly pad.
    test(`${kind}, L=${L}: bit-identical to the CPU at several steps`, async ({ gpu }) => {
      await checkSteps(gpu, { B: 23, D: 29, L, kind, seed: 2 ** 40 + 17 }, [1, 2, 3, 1000, 0xffffffff]);
    });
  }
  test(`${kind}: one row, one byte, and D = 1`, async ({ gpu }) => {
    await checkSteps(gpu, { B: 1, D: 1, L: 2, kind, seed: 5 }, [7]);
    await checkSteps(gpu, { B: 6, D: 1, L: 3, kind, seed: 5 }, [7]);
    await checkSteps(gpu, { B: 1, D: 257, L: 1, kind, seed: 5 }, [7]);
  });
}

/** One step of `s` on seeded bytes, read back and compared with the CPU's; returns the grid it ran on. */
async function checkLarge(
  gpu: GpuContext,
  s: { B: number; D: number; L: number; kind: StepInputKind; seed: number },
  step: number,
): Promise<[number, number, number]> {
  const bytes = seededBytes(3, s.B * s.D);
  const out = zeros(gpu, s.B * s.L * s.D, 'test x');
  const kernel = stepInput(gpu, { ...s, bytes: { buffer: uploadBytes(gpu, bytes) }, x: { buffer: out } });
  kernel.setStep(step);
  submitDispatches(gpu, [kernel.dispatch], 'test');
  assertBitIdentical(
    await readFloat32(gpu, { buffer: out }, s.B * s.L * s.D),
    cpuStepInput(bytes, s, step),
    `step_input ${s.kind} B=${s.B} D=${s.D}`,
  );
  kernel.destroy();
  out.destroy();
  return kernel.dispatch.workgroups;
}

test('values, B·D past 4·65535·64 elements: the 2-D grid covers every word', async ({ gpu }) => {
  // 16,779,627 elements: at 4 per invocation, more than 65535 workgroups of 64 along x.
  const grid = await checkLarge(gpu, { B: 21321, D: 787, L: 1, kind: 'values', seed: 99 }, 12);
  assert.ok(grid[1] > 1, `grid ${grid} is one row of workgroups`);
});

test('dequantized, B·D past 65535·64 elements: Philox blocks past 2²⁰', async ({ gpu }) => {
  await checkLarge(gpu, { B: 5330, D: 787, L: 1, kind: 'dequantized', seed: 99 }, 12);
});

test('the step can come from a uniform the trainer writes anyway (NonFiniteFlags.current)', async ({ gpu }) => {
  const s = { B: 5, D: 11, L: 2, kind: 'binarized' as const, seed: 31 };
  const bytes = seededBytes(4, s.B * s.D);
  const flags = new NonFiniteFlags(gpu, 'test flags');
  const out = zeros(gpu, s.B * s.L * s.D, 'test x');
  const kernel = stepInput(gpu, {
    ...s,
    bytes: { buffer: uploadBytes(gpu, bytes) },
    x: { buffer: out },
    current: flags.current,
  });
  flags.setStep(42);
  submitDispatches(gpu, [kernel.dispatch], 'test');
  assertBitIdentical(
    await readFloat32(gpu, { buffer: out }, s.B * s.L * s.D),
    cpuStepInput(bytes, s, 42),
    'step_input shared step',
  );
  kernel.destroy();
  flags.destroy();
});

test("the CPU's dequantized value is (k·2²⁴ + 2·(r >> 9) + 1) · 2⁻³², rounded once to float32", () => {
  // What the shader computes in integers, against dequantizeValues on the Batcher's float32 k/255, for every
  // byte and many Philox words, including the words whose 24-bit numerator is a tie.
  const key = philoxKey(8);
  for (let k = 0; k < 256; k++) {
    const words = [
      0,
      0x1ff,
      0x200,
      0xfffffe00,
      0xffffffff,
      ...philox4x32([k, 0, RANDOM_STREAMS.dequantization, 0], key),
    ];
    const values = Float32Array.from(words, () => k * BYTE_SCALE);
    dequantizeValues(values, words.map(wordToUniform));
    words.forEach((r, i) => {
      const numerator = k * 2 ** 24 + 2 * (r >>> 9) + 1;
      assert.ok(numerator < 2 ** 32);
      assert.is((k + wordToUniform(r)) / 256, numerator * 2 ** -32, `k=${k} r=${r}: the double sum is exact`);
      assert.is(values[i], Math.fround(numerator * 2 ** -32), `k=${k} r=${r}`);
    });
  }
});

test('bad shapes and kinds are refused', ({ gpu }) => {
  const x = zeros(gpu, 30);
  const bytes = uploadBytes(gpu, new Uint8Array(10));
  const s = { B: 2, D: 5, L: 3, kind: 'binarized' as const, seed: 1, bytes: { buffer: bytes }, x: { buffer: x } };
  throwsWith(() => stepInput(gpu, { ...s, B: 3 }), ['step_input', 'bytes holds 12 bytes, needs 16', 'B=3, D=5, L=3']);
  throwsWith(() => stepInput(gpu, { ...s, L: 4 }), ['step_input', 'x holds 30 floats, needs 40', 'B=2, D=5, L=4']);
  throwsWith(() => stepInput(gpu, { ...s, L: 0 }), ['step_input', 'L must be a positive integer, got 0']);
  throwsWith(
    () => stepInput(gpu, { ...s, kind: 'grey' as StepInputKind }),
    ['step_input', "kind must be 'values', 'binarized' or 'dequantized'", "'grey'"],
  );
  throwsWith(() => stepInput(gpu, { ...s, B: 2 ** 15, D: 2 ** 15, L: 2 }), ['step_input', 'more than 1073741824']);
  throwsWith(() => stepInput(gpu, { ...s, scale: 0 }), ['step_input', 'scale must be a finite number > 0', 'got 0']);
  throwsWith(() => stepInput(gpu, s).setStep(-1), ['step_input', 'step must be a u32, got -1']);
});

test.run();
