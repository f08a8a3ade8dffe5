// shaders/iwae_weights.wgsl against its float64 reference: the bound and the normalised weights over k rows per
// datapoint, log weights spread over hundreds of nats included.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { iwaeWeights as referenceWeights } from './reference/iwae_weights.ts';
import { iwaeWeights } from '../src/kernels/iwae_weights.ts';

const test = gpuSuite('iwae_weights');

for (const [B, k, spread] of [
  [3, 1, 5],
  [4, 5, 3],
  [50, 8, 300],
] as const) {
  test(`bound and weights, B=${B} k=${k}, log weights spread ±${spread}`, async ({ gpu }) => {
    const logp = Float64Array.from(Float32Array.from(seededUniform(B + k, B * k, -100 - spread, -100 + spread)));
    const kl = Float64Array.from(Float32Array.from(seededUniform(B * k, B * k, 0, 20)));
    const buffers = { rowScale: zeros(gpu, B * k), bound: zeros(gpu, B) };
    const d = iwaeWeights(gpu, {
      B,
      k,
      scale: 1 / B,
      logp: { buffer: upload(gpu, logp) },
      kl: { buffer: upload(gpu, kl) },
      rowScale: { buffer: buffers.rowScale },
      bound: { buffer: buffers.bound },
    });
    const expected = referenceWeights(logp, kl, B, k, 1 / B);
    assertClose(await runAndRead(gpu, [d], buffers.bound, B), expected.bound, {
      atol: 1e-4,
      rtol: 1e-5,
      label: 'bound',
    });
    assertClose(await runAndRead(gpu, [], buffers.rowScale, B * k), expected.rowScale, {
      atol: 1e-7,
      rtol: 1e-4,
      label: 'rowScale',
    });
  });
}

test('bad shapes are refused', ({ gpu }) => {
  const b = { buffer: zeros(gpu, 8) };
  throwsWith(
    () => iwaeWeights(gpu, { B: 3, k: 3, scale: 1, logp: b, kl: b, rowScale: b, bound: b }),
    ['iwae_weights', 'logp holds 8 floats, needs 9', 'B=3, k=3'],
  );
});

test.run();
