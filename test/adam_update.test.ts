// shaders/adam_update.wgsl against test/reference/adam_update.ts, with and without weight decay, 3 steps
// (the bias corrections change every step, so one step alone would not test setStep); the padding past P is
// left alone and the parameters' non-finite flag stays clear, and names the first step whose update was not finite.
import { assertClose } from './assert_close.ts';
import * as assert from 'uvu/assert';
import { gpuSuite, throwsWith, zeros } from './gpu_suite.ts';
import {
  flagsAfterNonFiniteGradient,
  optimizerInputs,
  paddedUpload,
  PARAMETER_COUNTS,
  readPadded,
} from './optimizer_cases.ts';
import { NonFiniteFlags } from '../src/kernels/first_non_finite.ts';
import { adamUpdate as referenceAdam } from './reference/adam_update.ts';
import { adamUpdate } from '../src/kernels/adam_update.ts';
import { submitDispatches } from '../src/kernels/kernel.ts';

const test = gpuSuite('adam_update');

for (const P of PARAMETER_COUNTS) {
  for (const weightDecay of [0, 0.01]) {
    test(`3 steps, P=${P} weightDecay=${weightDecay}`, async ({ gpu }) => {
      const { params, grads } = optimizerInputs(P, P + 5);
      const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay };
      const buffers = {
        params: paddedUpload(gpu, params, P),
        m: paddedUpload(gpu, new Float32Array(P), P),
        v: paddedUpload(gpu, new Float32Array(P), P),
      };
      const flags = new NonFiniteFlags(gpu, 'test flags');
      const kernel = adamUpdate(gpu, {
        P,
        params: { buffer: buffers.params },
        grads: { buffer: paddedUpload(gpu, grads, P, NaN) },
        m: { buffer: buffers.m },
        v: { buffer: buffers.v },
        hyper,
        flags,
      });
      const expected = Float64Array.from(params);
      const m = new Float64Array(P);
      const v = new Float64Array(P);
      for (let step = 1; step <= 3; step++) {
        kernel.setStep(step);
        flags.setStep(step);
        submitDispatches(gpu, [kernel.dispatch]);
        referenceAdam(expected, grads, m, v, { ...hyper, step });
      }
      assertClose(await readPadded(gpu, buffers.params, P, 'params'), expected, {
        atol: 1e-6,
        rtol: 1e-6,
        label: 'params',
      });
      assertClose(await readPadded(gpu, buffers.m, P, 'm'), m, { atol: 1e-9, rtol: 1e-5, label: 'm' });
      assertClose(await readPadded(gpu, buffers.v, P, 'v'), v, { atol: 1e-12, rtol: 1e-5, label: 'v' });
      assert.is(
        (await flags.read()).parameters,
        null,
        'finite updates (and NaN gradients in the padding) must not set the parameters flag',
      );
      flags.destroy();
    });
  }
}

for (const [P, bad] of [
  [7, NaN],
  [8, Infinity],
  [1001, -Infinity],
] as const) {
  test(`P=${P}: a ${bad} gradient at P−1 flags the first step it reached the parameters`, async ({ gpu }) => {
    const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
    const fresh = () => ({ buffer: paddedUpload(gpu, new Float32Array(P), P) });
    const flags = await flagsAfterNonFiniteGradient(gpu, P, bad, (grads, flags) =>
      adamUpdate(gpu, { P, params: fresh(), grads: { buffer: grads }, m: fresh(), v: fresh(), hyper, flags }),
    );
    assert.equal(flags, { loss: null, parameters: 3, optimizerState: null });
  });
}

test('bad sizes, betas and steps are refused', ({ gpu }) => {
  const b = { buffer: zeros(gpu, 4) };
  const flags = new NonFiniteFlags(gpu, 'test flags');
  const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
  throwsWith(
    () => adamUpdate(gpu, { P: 4, params: b, grads: b, m: b, v: { buffer: zeros(gpu, 2) }, hyper, flags }),
    ['adam_update', 'v holds 2 floats, needs 4'],
  );
  throwsWith(
    () => adamUpdate(gpu, { P: 3, params: b, grads: b, m: b, v: { buffer: zeros(gpu, 3) }, hyper, flags }),
    ['adam_update', 'v holds 3 floats, needs 4', 'P=3', 'rounded up to a multiple of 4'],
  );
  throwsWith(
    () => adamUpdate(gpu, { P: 4, params: b, grads: b, m: b, v: b, hyper: { ...hyper, beta2: 1 }, flags }),
    ['adam_update', 'beta'],
  );
  const kernel = adamUpdate(gpu, {
    P: 4,
    params: b,
    grads: { buffer: zeros(gpu, 4) },
    m: { buffer: zeros(gpu, 4) },
    v: { buffer: zeros(gpu, 4) },
    hyper,
    flags,
  });
  throwsWith(() => kernel.setStep(0), ['adam_update', 'step must be an integer ≥ 1']);
  flags.destroy();
});

test.run();
