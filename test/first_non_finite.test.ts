// shaders/first_non_finite.wgsl (src/kernels/first_non_finite.ts) against test/reference/first_non_finite.ts:
// after a sequence of steps, each flag holds the first step whose watched values held NaN or ±Inf — whatever
// the order the steps were submitted in, wherever the value sits (first, last, in the grid's tail) — while
// the largest finite float32, subnormals and −0 never set it; flags are independent and reset() forgets them.
import * as assert from 'uvu/assert';
import { gpuSuite, throwsWith, upload } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { firstNonFiniteStep } from './reference/first_non_finite.ts';
import {
  firstNonFinite,
  NonFiniteFlags,
  FIRST_NON_FINITE_PER_INVOCATION,
  FIRST_NON_FINITE_WORKGROUP,
  type NonFiniteQuantity,
} from '../src/kernels/first_non_finite.ts';
import { submitDispatches } from '../src/kernels/kernel.ts';
import type { GpuContext } from '../src/gpu/device.ts';

const test = gpuSuite('first_non_finite');
const F32_MAX = 3.4028234663852886e38;
const SPECIALS = [NaN, Infinity, -Infinity];
const HARMLESS = [F32_MAX, -F32_MAX, 1.4e-45, -1.4e-45, -0, 1.17549435e-38];

/** Runs the kernel once per observation (in the given order) on one flag; returns what the flags hold. */
async function observe(
  gpu: GpuContext,
  quantity: NonFiniteQuantity,
  N: number,
  observations: Array<{ step: number; values: Float32Array }>,
) {
  const flags = new NonFiniteFlags(gpu, 'test flags');
  try {
    for (const { step, values } of observations) {
      const buffer = upload(gpu, values);
      flags.setStep(step);
      submitDispatches(gpu, [firstNonFinite(gpu, { N, quantity, values: { buffer }, flags })]);
    }
    return await flags.read();
  } finally {
    flags.destroy();
  }
}

/** Values one workgroup covers: sizes around it (and around one workgroup's invocations) probe the grid's tail. */
const WORKGROUP_VALUES = FIRST_NON_FINITE_WORKGROUP * FIRST_NON_FINITE_PER_INVOCATION;
for (const N of [
  1,
  3,
  FIRST_NON_FINITE_WORKGROUP + 1,
  WORKGROUP_VALUES - 1,
  WORKGROUP_VALUES,
  WORKGROUP_VALUES + 1,
  70_001,
]) {
  test(`N=${N}: the first non-finite step over steps submitted out of order equals the reference`, async ({ gpu }) => {
    const steps = [5, 9, 2, 14, 7, 3, 11];
    const observations = steps.map((step, k) => {
      const values = Float32Array.from(seededUniform(100 * N + k, N, -5, 5));
      // Every step carries the harmless extremes; steps 9, 7 and 11 also a NaN or an infinity, at the first, the
      // last and a seeded position.
      HARMLESS.forEach((h, j) => {
        if (j < N) values[(k + j * 7) % N] = h;
      });
      const special = { 9: 0, 7: N - 1, 11: Math.floor(seededUniform(k, 1)[0] * N) }[step];
      if (special !== undefined) values[special] = SPECIALS[k % SPECIALS.length];
      return { step, values };
    });
    for (const quantity of ['loss', 'parameters', 'optimizerState'] as const) {
      const got = await observe(gpu, quantity, N, observations);
      const expected = firstNonFiniteStep(observations);
      assert.is(expected, 7, 'the reference sees step 7 first');
      assert.is(got[quantity], expected, `${quantity} flag`);
      for (const other of ['loss', 'parameters', 'optimizerState'] as const)
        if (other !== quantity) assert.is(got[other], null, `${other} untouched`);
    }
  });
}

test('each special value alone sets the flag at its step; harmless extremes alone never do', async ({ gpu }) => {
  for (const special of SPECIALS) {
    const values = new Float32Array(300).fill(0.25);
    values[257] = special;
    assert.is(
      (
        await observe(gpu, 'loss', 300, [
          { step: 3, values: new Float32Array(300) },
          { step: 4, values },
        ])
      ).loss,
      4,
      `${special}`,
    );
  }
  const values = new Float32Array(300);
  HARMLESS.forEach((h, j) => {
    values[j * 50] = h;
  });
  assert.is((await observe(gpu, 'loss', 300, [{ step: 1, values }])).loss, null);
  assert.is(firstNonFiniteStep([{ step: 1, values }]), null);
});

test('only the N values asked for are watched, and reset() forgets a recorded step', async ({ gpu }) => {
  const values = new Float32Array(10);
  values[8] = NaN;
  assert.is((await observe(gpu, 'parameters', 8, [{ step: 2, values }])).parameters, null, 'a NaN past N is not seen');
  const flags = new NonFiniteFlags(gpu);
  try {
    const dispatch = firstNonFinite(gpu, {
      N: 10,
      quantity: 'parameters',
      values: { buffer: upload(gpu, values) },
      flags,
    });
    flags.setStep(6);
    submitDispatches(gpu, [dispatch]);
    assert.is((await flags.read()).parameters, 6);
    flags.reset();
    assert.equal(await flags.read(), { loss: null, parameters: null, optimizerState: null });
  } finally {
    flags.destroy();
  }
});

test('bad shapes and steps are refused', ({ gpu }) => {
  const flags = new NonFiniteFlags(gpu);
  try {
    throwsWith(
      () => firstNonFinite(gpu, { N: 5, quantity: 'loss', values: { buffer: upload(gpu, [1, 2]) }, flags }),
      ['first_non_finite loss', 'values holds 2 floats, needs 5', 'N=5'],
    );
    throwsWith(
      () => firstNonFinite(gpu, { N: 0, quantity: 'loss', values: { buffer: upload(gpu, [1, 2]) }, flags }),
      ['N must be a positive integer'],
    );
    throwsWith(() => flags.setStep(0), ['step must be an integer']);
  } finally {
    flags.destroy();
  }
});

test.run();
