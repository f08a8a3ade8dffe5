// shaders/kl_divergence.wgsl (analytic KL per datapoint, gradient accumulated into dStats) against
// test/reference/kl_divergence.ts.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import {
  klDivergenceForward as referenceKl,
  klDivergenceBackward as referenceGradient,
} from './reference/kl_divergence.ts';
import { klDivergence } from '../src/kernels/kl_divergence.ts';

const test = gpuSuite('kl_divergence');

for (const [B, Z] of [
  [3, 2],
  [100, 20],
  [65, 50],
] as const) {
  test(`kl and dStats += scale·∂KL, B=${B} Z=${Z}`, async ({ gpu }) => {
    const stats = seededUniform(B + Z, B * 2 * Z, -3, 3);
    const before = seededUniform(B * Z, B * 2 * Z, -1, 1);
    const scale = 1 / B;
    const kl = zeros(gpu, B);
    const dStats = upload(gpu, before);
    const d = klDivergence(gpu, {
      B,
      Z,
      scale,
      stats: { buffer: upload(gpu, stats) },
      kl: { buffer: kl },
      dStats: { buffer: dStats },
    });
    assertClose(await runAndRead(gpu, [d.dispatch], kl, B), referenceKl(stats, B, Z), {
      atol: 1e-5,
      rtol: 1e-5,
      label: 'kl',
    });
    const gradient = referenceGradient(stats, B, Z, scale);
    const expected = before.map((v, i) => v + gradient[i]);
    assertClose(await runAndRead(gpu, [], dStats, B * 2 * Z), expected, { atol: 1e-6, rtol: 1e-5, label: 'dStats' });
  });
}

test('setScale changes the weight of the gradient for the next submission (KL warm-up, β)', async ({ gpu }) => {
  const [B, Z] = [5, 3];
  const stats = seededUniform(11, B * 2 * Z, -2, 2);
  const dStats = zeros(gpu, B * 2 * Z);
  const kernel = klDivergence(gpu, {
    B,
    Z,
    scale: 1 / B,
    stats: { buffer: upload(gpu, stats) },
    kl: { buffer: zeros(gpu, B) },
    dStats: { buffer: dStats },
  });
  kernel.setScale(0.25 / B);
  assertClose(await runAndRead(gpu, [kernel.dispatch], dStats, B * 2 * Z), referenceGradient(stats, B, Z, 0.25 / B), {
    atol: 1e-7,
    rtol: 1e-5,
    label: 'β = 0.25',
  });
});

test('bad shapes and scales are refused', ({ gpu }) => {
  const buffers = {
    stats: { buffer: zeros(gpu, 8) },
    kl: { buffer: zeros(gpu, 2) },
    dStats: { buffer: zeros(gpu, 8) },
  };
  throwsWith(() => klDivergence(gpu, { B: 3, Z: 2, scale: 1, ...buffers }), ['kl_divergence', 'needs 12', 'B=3, Z=2']);
  throwsWith(() => klDivergence(gpu, { B: 2, Z: 2, scale: NaN, ...buffers }), ['kl_divergence', 'scale']);
});

test.run();
