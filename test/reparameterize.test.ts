// shaders/reparameterize.wgsl (z = μ + σ ⊙ ε and its backward) against test/reference/reparameterize.ts.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededNormal, seededUniform } from './seeded_random.ts';
import {
  reparameterizeForward as referenceForward,
  reparameterizeBackward as referenceBackward,
} from './reference/reparameterize.ts';
import { reparameterizeForward, reparameterizeBackward } from '../src/kernels/reparameterize.ts';

const test = gpuSuite('reparameterize');

for (const [B, Z] of [
  [3, 2],
  [100, 20],
  [5, 7],
] as const) {
  const stats = seededUniform(B * 3 + Z, B * 2 * Z, -3, 3);
  const eps = seededNormal(B + Z * 11, B * Z);

  test(`forward B=${B} Z=${Z}`, async ({ gpu }) => {
    const z = zeros(gpu, B * Z);
    const d = reparameterizeForward(gpu, {
      B,
      Z,
      stats: { buffer: upload(gpu, stats) },
      eps: { buffer: upload(gpu, eps) },
      z: { buffer: z },
    });
    assertClose(await runAndRead(gpu, [d], z, B * Z), referenceForward(stats, eps, B, Z), {
      atol: 1e-6,
      rtol: 1e-5,
      label: 'reparameterize forward',
    });
  });

  test(`backward B=${B} Z=${Z}`, async ({ gpu }) => {
    const dz = seededUniform(B * Z, B * Z, -1, 1);
    // Pre-filled with garbage: backward must overwrite dStats, not add to it.
    const dStats = upload(gpu, seededUniform(99, B * 2 * Z, -5, 5));
    const d = reparameterizeBackward(gpu, {
      B,
      Z,
      stats: { buffer: upload(gpu, stats) },
      eps: { buffer: upload(gpu, eps) },
      dz: { buffer: upload(gpu, dz) },
      dStats: { buffer: dStats },
    });
    assertClose(await runAndRead(gpu, [d], dStats, B * 2 * Z), referenceBackward(stats, eps, dz, B, Z), {
      atol: 1e-6,
      rtol: 1e-5,
      label: 'reparameterize backward',
    });
  });
}

test('bad shapes are refused', ({ gpu }) => {
  throwsWith(
    () =>
      reparameterizeForward(gpu, {
        B: 4,
        Z: 2,
        stats: { buffer: zeros(gpu, 16) },
        eps: { buffer: zeros(gpu, 7) },
        z: { buffer: zeros(gpu, 8) },
      }),
    ['reparameterize forward', 'eps holds 7 floats, needs 8', 'B=4, Z=2'],
  );
});

test.run();
