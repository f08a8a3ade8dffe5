// shaders/adagrad_update.wgsl against test/reference/adagrad_update.ts, with and without weight decay, 3 steps.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { optimizerInputs, PARAMETER_COUNTS } from './optimizer_cases.ts';
import { adagradUpdate as referenceAdagrad } from './reference/adagrad_update.ts';
import { adagradUpdate } from '../src/kernels/adagrad_update.ts';
import { submitDispatches } from '../src/kernels/kernel.ts';

const test = gpuSuite('adagrad_update');

for (const P of PARAMETER_COUNTS) {
  for (const weightDecay of [0, 0.01]) {
    test(`3 steps, P=${P} weightDecay=${weightDecay}`, async ({ gpu }) => {
      const { params, grads } = optimizerInputs(P, P + 3);
      const hyper = { lr: 0.02, eps: 1e-10, weightDecay };
      const paramsBuffer = upload(gpu, params);
      const accumBuffer = zeros(gpu, P);
      const kernel = adagradUpdate(gpu, { P, params: { buffer: paramsBuffer }, grads: { buffer: upload(gpu, grads) }, accum: { buffer: accumBuffer }, hyper });
      const expected = Float64Array.from(params);
      const accum = new Float64Array(P);
      for (let step = 1; step <= 3; step++) {
        kernel.setStep(step);
        submitDispatches(gpu, [kernel.dispatch]);
        referenceAdagrad(expected, grads, accum, hyper);
      }
      assertClose(await runAndRead(gpu, [], paramsBuffer, P), expected, { atol: 1e-6, rtol: 1e-6, label: 'params' });
      assertClose(await runAndRead(gpu, [], accumBuffer, P), accum, { atol: 1e-9, rtol: 1e-5, label: 'accum' });
    });
  }
}

test('bad sizes are refused', ({ gpu }) => {
  const b = { buffer: zeros(gpu, 4) };
  throwsWith(() => adagradUpdate(gpu, { P: 4, params: b, grads: b, accum: { buffer: zeros(gpu, 3) }, hyper: { lr: 0.1, eps: 1e-10, weightDecay: 0 } }), ['adagrad_update', 'accum holds 3 floats, needs 4']);
});

test.run();
