// shaders/scale_rows.wgsl against its float64 reference: each row multiplied in place by its own factor.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { scaleRows as referenceScaleRows } from './reference/scale_rows.ts';
import { scaleRows } from '../src/kernels/scale_rows.ts';

const test = gpuSuite('scale_rows');

test('scale_rows multiplies each row by its factor', async ({ gpu }) => {
  const [R, N] = [13, 37];
  const a = seededUniform(1, R * N, -1, 1);
  const factors = seededUniform(2, R, 0, 2);
  const buffer = upload(gpu, a);
  const actual = await runAndRead(
    gpu,
    [scaleRows(gpu, { R, N, a: { buffer }, rowScale: { buffer: upload(gpu, factors) } })],
    buffer,
    R * N,
  );
  assertClose(actual, referenceScaleRows(a, factors, R, N), { atol: 1e-7, rtol: 1e-6, label: 'scale_rows' });
});

test('bad shapes are refused', ({ gpu }) => {
  throwsWith(
    () => scaleRows(gpu, { R: 3, N: 3, a: { buffer: zeros(gpu, 8) }, rowScale: { buffer: zeros(gpu, 3) } }),
    ['scale_rows', 'a holds 8 floats, needs 9', 'R=3, N=3'],
  );
});

test.run();
