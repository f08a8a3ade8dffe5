// shaders/adam_update.wgsl against test/reference/adam_update.ts, with and without weight decay, 3 steps
// (the bias corrections change every step, so one step alone would not test setStep).
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { optimizerInputs, PARAMETER_COUNTS } from './optimizer_cases.ts';
import { adamUpdate as referenceAdam } from './reference/adam_update.ts';
import { adamUpdate } from '../src/kernels/adam_update.ts';
import { submitDispatches } from '../src/kernels/kernel.ts';

const test = gpuSuite('adam_update');

for (const P of PARAMETER_COUNTS) {
  for (const weightDecay of [0, 0.01]) {
    test(`3 steps, P=${P} weightDecay=${weightDecay}`, async ({ gpu }) => {
      const { params, grads } = optimizerInputs(P, P + 5);
      const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay };
      const buffers = { params: upload(gpu, params), m: zeros(gpu, P), v: zeros(gpu, P) };
      const kernel = adamUpdate(gpu, { P, params: { buffer: buffers.params }, grads: { buffer: upload(gpu, grads) }, m: { buffer: buffers.m }, v: { buffer: buffers.v }, hyper });
      const expected = Float64Array.from(params);
      const m = new Float64Array(P);
      const v = new Float64Array(P);
      for (let step = 1; step <= 3; step++) {
        kernel.setStep(step);
        submitDispatches(gpu, [kernel.dispatch]);
        referenceAdam(expected, grads, m, v, { ...hyper, step });
      }
      assertClose(await runAndRead(gpu, [], buffers.params, P), expected, { atol: 1e-6, rtol: 1e-6, label: 'params' });
      assertClose(await runAndRead(gpu, [], buffers.m, P), m, { atol: 1e-9, rtol: 1e-5, label: 'm' });
      assertClose(await runAndRead(gpu, [], buffers.v, P), v, { atol: 1e-12, rtol: 1e-5, label: 'v' });
    });
  }
}

test('bad sizes, betas and steps are refused', ({ gpu }) => {
  const b = { buffer: zeros(gpu, 4) };
  const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
  throwsWith(() => adamUpdate(gpu, { P: 4, params: b, grads: b, m: b, v: { buffer: zeros(gpu, 2) }, hyper }), ['adam_update', 'v holds 2 floats, needs 4']);
  throwsWith(() => adamUpdate(gpu, { P: 4, params: b, grads: b, m: b, v: b, hyper: { ...hyper, beta2: 1 } }), ['adam_update', 'beta']);
  const kernel = adamUpdate(gpu, { P: 4, params: b, grads: { buffer: zeros(gpu, 4) }, m: { buffer: zeros(gpu, 4) }, v: { buffer: zeros(gpu, 4) }, hyper });
  throwsWith(() => kernel.setStep(0), ['adam_update', 'step must be an integer ≥ 1']);
});

test.run();
