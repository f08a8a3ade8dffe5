// shaders/bernoulli_likelihood.wgsl (log p(x|logits) per datapoint and ∂loss/∂logits, fused) against
// test/reference/bernoulli_likelihood.ts, including logits large enough to break log(sigmoid(l)).
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import {
  bernoulliLogLikelihood as referenceLogp,
  bernoulliLogLikelihoodBackward as referenceGradient,
} from './reference/bernoulli_likelihood.ts';
import { bernoulliLikelihood } from '../src/kernels/bernoulli_likelihood.ts';

const test = gpuSuite('bernoulli_likelihood');

for (const [B, D, range, binary] of [
  [3, 7, 5, true],
  [100, 784, 8, true],
  [10, 784, 100, true],
  [4, 130, 4, false],
] as const) {
  test(`logp and dLogits, B=${B} D=${D} logits in ±${range}, ${binary ? 'binary' : 'grey-level'} x`, async ({
    gpu,
  }) => {
    const logits = seededUniform(B + D, B * D, -range, range);
    const x = seededUniform(D, B * D, 0, 1).map((v) => (binary ? (v < 0.3 ? 1 : 0) : v));
    const scale = 1 / B;
    const logp = zeros(gpu, B);
    const dLogits = zeros(gpu, B * D);
    const d = bernoulliLikelihood(gpu, {
      B,
      D,
      scale,
      logits: { buffer: upload(gpu, logits) },
      x: { buffer: upload(gpu, x) },
      logp: { buffer: logp },
      dLogits: { buffer: dLogits },
    });
    // float32 sum of D terms each ≤ range in size.
    assertClose(await runAndRead(gpu, [d], logp, B), referenceLogp(logits, x, B, D), {
      atol: 1e-6 * D * range,
      rtol: 1e-5,
      label: 'logp',
    });
    assertClose(await runAndRead(gpu, [], dLogits, B * D), referenceGradient(logits, x, B, D, scale), {
      atol: 1e-7,
      rtol: 1e-5,
      label: 'dLogits',
    });
  });
}

test('bad shapes are refused', ({ gpu }) => {
  const b = { buffer: zeros(gpu, 6) };
  throwsWith(
    () =>
      bernoulliLikelihood(gpu, {
        B: 2,
        D: 3,
        scale: 0.5,
        logits: b,
        x: b,
        logp: { buffer: zeros(gpu, 1) },
        dLogits: { buffer: zeros(gpu, 6) },
      }),
    ['bernoulli_likelihood', 'logp holds 1 floats, needs 2', 'B=2, D=3'],
  );
  throwsWith(
    () =>
      bernoulliLikelihood(gpu, {
        B: 2,
        D: 3,
        scale: 0.5,
        logits: b,
        x: b,
        logp: { buffer: zeros(gpu, 2) },
        dLogits: b,
      }),
    ['bernoulli_likelihood', 'must not share'],
  );
});

test.run();
