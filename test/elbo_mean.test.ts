// shaders/elbo_mean.wgsl (minibatch means of ELBO, KL, log p) against test/reference/elbo_mean.ts.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { elboMean as referenceElboMean } from './reference/elbo_mean.ts';
import { elboMean, ELBO_METRICS } from '../src/kernels/elbo_mean.ts';

const test = gpuSuite('elbo_mean');

for (const B of [1, 3, 64, 100, 1000, 4099]) {
  test(`means over B=${B}`, async ({ gpu }) => {
    const logp = seededUniform(B, B, -200, -50);
    const kl = seededUniform(B + 1, B, 0, 40);
    const metrics = zeros(gpu, ELBO_METRICS.count);
    const d = elboMean(gpu, {
      B,
      logp: { buffer: upload(gpu, logp) },
      kl: { buffer: upload(gpu, kl) },
      metrics: { buffer: metrics },
    });
    const actual = await runAndRead(gpu, [d], metrics, ELBO_METRICS.count);
    const r = referenceElboMean(logp, kl);
    const expected = [0, 0, 0];
    expected[ELBO_METRICS.elbo] = r.elbo;
    expected[ELBO_METRICS.kl] = r.kl;
    expected[ELBO_METRICS.logp] = r.logp;
    assertClose(actual, expected, { atol: 1e-4, rtol: 1e-5, label: 'elbo_mean' });
  });
}

test('bad shapes are refused', ({ gpu }) => {
  throwsWith(
    () =>
      elboMean(gpu, {
        B: 5,
        logp: { buffer: zeros(gpu, 5) },
        kl: { buffer: zeros(gpu, 4) },
        metrics: { buffer: zeros(gpu, 3) },
      }),
    ['elbo_mean', 'kl holds 4 floats, needs 5', 'B=5'],
  );
});

test.run();
