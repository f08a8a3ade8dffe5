// shaders/sgd_update.wgsl against test/reference/sgd_update.ts, with and without weight decay, over 3 steps; the
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
import { sgdUpdate as referenceSgd } from './reference/sgd_update.ts';
import { sgdUpdate } from '../src/kernels/sgd_update.ts';
import { submitDispatches } from '../src/kernels/kernel.ts';

const test = gpuSuite('sgd_update');

for (const P of PARAMETER_COUNTS) {
  for (const weightDecay of [0, 0.01]) {
    test(`3 steps, P=${P} weightDecay=${weightDecay}`, async ({ gpu }) => {
      const { params, grads } = optimizerInputs(P, P);
      const hyper = { lr: 0.1, weightDecay };
      const paramsBuffer = paddedUpload(gpu, params, P);
      const flags = new NonFiniteFlags(gpu, 'test flags');
      const kernel = sgdUpdate(gpu, {
        P,
        params: { buffer: paramsBuffer },
        grads: { buffer: paddedUpload(gpu, grads, P, NaN) },
        hyper,
        flags,
      });
      const expected = Float64Array.from(params);
      for (let step = 1; step <= 3; step++) {
        kernel.setStep(step);
        flags.setStep(step);
        submitDispatches(gpu, [kernel.dispatch]);
        referenceSgd(expected, grads, hyper);
      }
      assertClose(await readPadded(gpu, paramsBuffer, P, 'params'), expected, {
        atol: 1e-6,
        rtol: 1e-6,
        label: 'params',
      });
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
      sgdUpdate(gpu, { P, params: fresh(), grads: { buffer: grads }, hyper: { lr: 0.1, weightDecay: 0 }, flags }),
    );
    assert.equal(flags, { loss: null, parameters: 3, optimizerState: null });
  });
}

test('bad sizes and hyperparameters are refused', ({ gpu }) => {
  const b = { buffer: zeros(gpu, 4) };
  const flags = new NonFiniteFlags(gpu, 'test flags');
  throwsWith(
    () => sgdUpdate(gpu, { P: 5, params: b, grads: b, hyper: { lr: 0.1, weightDecay: 0 }, flags }),
    ['sgd_update', 'params holds 4 floats, needs 8', 'P=5', 'rounded up to a multiple of 4'],
  );
  throwsWith(
    () => sgdUpdate(gpu, { P: 4, params: b, grads: b, hyper: { lr: -1, weightDecay: 0 }, flags }),
    ['sgd_update', 'lr'],
  );
  flags.destroy();
});

test.run();
