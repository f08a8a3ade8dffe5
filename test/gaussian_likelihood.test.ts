// shaders/gaussian_likelihood.wgsl (the shared-variance Gaussian decoder) against
// test/reference/gaussian_likelihood.ts: log p(x|z) per datapoint, ∂loss/∂logits, and ∂loss/∂log σ² once
// column_sum has summed the per-datapoint terms over the batch; with a floor below every log-variance, and with
// one that clamps some of them (their gradient is then 0).
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { gaussianLogLikelihood, gaussianLogLikelihoodBackward } from './reference/gaussian_likelihood.ts';
import { gaussianLikelihood } from '../src/kernels/gaussian_likelihood.ts';
import { columnSum } from '../src/kernels/column_sum.ts';

const test = gpuSuite('gaussian_likelihood');

for (const [B, D, floor] of [
  [3, 7, -13.5],
  [100, 784, -13.5],
  [5, 64, -1.5],
] as const) {
  test(`logp, dLogits and dLogVar, B=${B} D=${D}, log σ² floored at ${floor}`, async ({ gpu }) => {
    const logits = Float64Array.from(Float32Array.from(seededUniform(B + D, B * D, -4, 4)));
    const x = Float64Array.from(Float32Array.from(seededUniform(D, B * D, 0, 1)));
    const logVar = Float64Array.from(Float32Array.from(seededUniform(7, D, -4, 1)));
    const scale = 1 / B;
    const buffers = {
      logp: zeros(gpu, B),
      dLogits: zeros(gpu, B * D),
      dLogVarRows: zeros(gpu, B * D),
      dLogVar: zeros(gpu, D),
    };
    const likelihood = gaussianLikelihood(gpu, {
      B,
      D,
      scale,
      minLogVar: floor,
      logits: { buffer: upload(gpu, logits) },
      x: { buffer: upload(gpu, x) },
      logVar: { buffer: upload(gpu, logVar) },
      logp: { buffer: buffers.logp },
      dLogits: { buffer: buffers.dLogits },
      dLogVar: { buffer: buffers.dLogVarRows },
    });
    const sum = columnSum(gpu, { M: B, N: D, a: { buffer: buffers.dLogVarRows }, out: { buffer: buffers.dLogVar } });
    const expected = gaussianLogLikelihoodBackward(logits, x, logVar, B, D, floor, scale);
    if (floor > -4 && !logVar.some((v) => v < floor)) throw new Error('the floor clamps none of the log-variances');
    // Each term is up to e^4 · 1 in size with exp(−s) for s down to −4; float32 sums of D of them.
    assertClose(
      await runAndRead(gpu, [likelihood, sum], buffers.logp, B),
      gaussianLogLikelihood(logits, x, logVar, B, D, floor),
      { atol: 2e-6 * D * 55, rtol: 1e-5, label: 'logp' },
    );
    assertClose(await runAndRead(gpu, [], buffers.dLogits, B * D), expected.dLogits, {
      atol: 1e-6,
      rtol: 1e-4,
      label: 'dLogits',
    });
    assertClose(await runAndRead(gpu, [], buffers.dLogVar, D), expected.dLogVar, {
      atol: 1e-5,
      rtol: 1e-4,
      label: 'dLogVar',
    });
  });
}

test('bad shapes are refused', ({ gpu }) => {
  const b = { buffer: zeros(gpu, 6) };
  throwsWith(
    () =>
      gaussianLikelihood(gpu, {
        B: 2,
        D: 3,
        scale: 0.5,
        minLogVar: -10,
        logits: b,
        x: b,
        logVar: { buffer: zeros(gpu, 2) },
        logp: b,
        dLogits: b,
        dLogVar: { buffer: zeros(gpu, 6) },
      }),
    ['gaussian_likelihood', 'logVar holds 2 floats, needs 3', 'B=2, D=3'],
  );
});

test.run();
