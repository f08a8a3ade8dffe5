// shaders/sgd_update.wgsl against test/reference/sgd_update.ts, with and without weight decay, over 3 steps.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { optimizerInputs, PARAMETER_COUNTS } from './optimizer_cases.ts';
import { sgdUpdate as referenceSgd } from './reference/sgd_update.ts';
import { sgdUpdate } from '../src/kernels/sgd_update.ts';
import { submitDispatches } from '../src/kernels/kernel.ts';

const test = gpuSuite('sgd_update');

for (const P of PARAMETER_COUNTS) {
  for (const weightDecay of [0, 0.01]) {
    test(`3 steps, P=${P} weightDecay=${weightDecay}`, async ({ gpu }) => {
      const { params, grads } = optimizerInputs(P, P);
      const hyper = { lr: 0.1, weightDecay };
      const paramsBuffer = upload(gpu, params);
      const kernel = sgdUpdate(gpu, { P, params: { buffer: paramsBuffer }, grads: { buffer: upload(gpu, grads) }, hyper });
      const expected = Float64Array.from(params);
      for (let step = 1; step <= 3; step++) {
        kernel.setStep(step);
        submitDispatches(gpu, [kernel.dispatch]);
        referenceSgd(expected, grads, hyper);
      }
      assertClose(await runAndRead(gpu, [], paramsBuffer, P), expected, { atol: 1e-6, rtol: 1e-6, label: 'params' });
    });
  }
}

test('bad sizes and hyperparameters are refused', ({ gpu }) => {
  const b = { buffer: zeros(gpu, 4) };
  throwsWith(() => sgdUpdate(gpu, { P: 5, params: b, grads: b, hyper: { lr: 0.1, weightDecay: 0 } }), ['sgd_update', 'params holds 4 floats, needs 5', 'P=5']);
  throwsWith(() => sgdUpdate(gpu, { P: 4, params: b, grads: b, hyper: { lr: -1, weightDecay: 0 } }), ['sgd_update', 'lr']);
});

test.run();
