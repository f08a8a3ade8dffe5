// shaders/adagrad_update.wgsl against test/reference/adagrad_update.ts, with and without weight decay, 3 steps; the
// padding past P is left alone, and the parameters' non-finite flag names the first step whose update was not finite.
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
import { adagradUpdate as referenceAdagrad } from './reference/adagrad_update.ts';
import { adagradUpdate } from '../src/kernels/adagrad_update.ts';
import { submitDispatches } from '../src/kernels/kernel.ts';

const test = gpuSuite('adagrad_update');

for (const P of PARAMETER_COUNTS) {
  for (const weightDecay of [0, 0.01]) {
    test(`3 steps, P=${P} weightDecay=${weightDecay}`, async ({ gpu }) => {
      const { params, grads } = optimizerInputs(P, P + 3);
      const hyper = { lr: 0.02, eps: 1e-10, weightDecay };
      const paramsBuffer = paddedUpload(gpu, params, P);
      const flags = new NonFiniteFlags(gpu, 'test flags');
      const accumBuffer = paddedUpload(gpu, new Float32Array(P), P);
      const kernel = adagradUpdate(gpu, {
        P,
        params: { buffer: paramsBuffer },
        grads: { buffer: paddedUpload(gpu, grads, P, NaN) },
        accum: { buffer: accumBuffer },
        hyper,
        flags,
      });
      const expected = Float64Array.from(params);
      const accum = new Float64Array(P);
      for (let step = 1; step <= 3; step++) {
        kernel.setStep(step);
        flags.setStep(step);
        submitDispatches(gpu, [kernel.dispatch]);
        referenceAdagrad(expected, grads, accum, hyper);
      }
      assertClose(await readPadded(gpu, paramsBuffer, P, 'params'), expected, {
        atol: 1e-6,
        rtol: 1e-6,
        label: 'params',
      });
      assertClose(await readPadded(gpu, accumBuffer, P, 'accum'), accum, { atol: 1e-9, rtol: 1e-5, label: 'accum' });
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
    const fresh = () => ({ buffer: paddedUpload(gpu, new Float32Array(P), P) });
    const flags = await flagsAfterNonFiniteGradient(gpu, P, bad, (grads, flags) =>
      adagradUpdate(gpu, {
        P,
        params: fresh(),
        grads: { buffer: grads },
        accum: fresh(),
        hyper: { lr: 0.02, eps: 1e-10, weightDecay: 0 },
        flags,
      }),
    );
    assert.equal(flags, { loss: null, parameters: 3, optimizerState: null });
  });
}

test('bad sizes are refused', ({ gpu }) => {
  const b = { buffer: zeros(gpu, 4) };
  const flags = new NonFiniteFlags(gpu, 'test flags');
  throwsWith(
    () =>
      adagradUpdate(gpu, {
        P: 4,
        params: b,
        grads: b,
        accum: { buffer: zeros(gpu, 3) },
        hyper: { lr: 0.1, eps: 1e-10, weightDecay: 0 },
        flags,
      }),
    ['adagrad_update', 'accum holds 3 floats, needs 4'],
  );
  flags.destroy();
});

test.run();
