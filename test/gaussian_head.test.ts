// shaders/gaussian_head.wgsl (raw → [μ | soft-bounded log σ²] and back) against test/reference/gaussian_head.ts.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import {
  gaussianHeadForward as referenceForward,
  gaussianHeadBackward as referenceBackward,
} from './reference/gaussian_head.ts';
import { gaussianHeadForward, gaussianHeadBackward, LOG_VARIANCE_BOUND } from '../src/kernels/gaussian_head.ts';
import { LOGVAR_BOUND } from './reference/gaussian_head.ts';

const test = gpuSuite('gaussian_head');

test('the wrapper and the reference agree on the bound', () => {
  if (LOG_VARIANCE_BOUND !== LOGVAR_BOUND) throw new Error(`bound ${LOG_VARIANCE_BOUND} vs reference ${LOGVAR_BOUND}`);
});

for (const [B, Z] of [
  [3, 2],
  [100, 20],
  [7, 1],
] as const) {
  // Raw values well past the bound too: log σ² must saturate smoothly, never overflow.
  const raw = seededUniform(B * 7 + Z, B * 2 * Z, -40, 40);

  test(`forward B=${B} Z=${Z}`, async ({ gpu }) => {
    const stats = zeros(gpu, B * 2 * Z);
    const actual = await runAndRead(
      gpu,
      [gaussianHeadForward(gpu, { B, Z, raw: { buffer: upload(gpu, raw) }, stats: { buffer: stats } })],
      stats,
      B * 2 * Z,
    );
    assertClose(actual, referenceForward(raw, B, Z), { atol: 1e-5, rtol: 1e-5, label: 'gaussian_head forward' });
  });

  test(`backward B=${B} Z=${Z}`, async ({ gpu }) => {
    const dStats = seededUniform(B + Z, B * 2 * Z, -1, 1);
    const dRaw = zeros(gpu, B * 2 * Z);
    const dispatch = gaussianHeadBackward(gpu, {
      B,
      Z,
      raw: { buffer: upload(gpu, raw) },
      dStats: { buffer: upload(gpu, dStats) },
      dRaw: { buffer: dRaw },
    });
    const actual = await runAndRead(gpu, [dispatch], dRaw, B * 2 * Z);
    assertClose(actual, referenceBackward(raw, dStats, B, Z), {
      atol: 1e-6,
      rtol: 1e-5,
      label: 'gaussian_head backward',
    });
  });
}

test('bad shapes are refused', ({ gpu }) => {
  throwsWith(
    () => gaussianHeadForward(gpu, { B: 2, Z: 3, raw: { buffer: zeros(gpu, 12) }, stats: { buffer: zeros(gpu, 6) } }),
    ['gaussian_head forward', 'stats holds 6 floats, needs 12', 'B=2, Z=3'],
  );
});

test.run();
