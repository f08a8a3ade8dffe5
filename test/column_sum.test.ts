// shaders/column_sum.wgsl (the bias gradient db) against test/reference/column_sum.ts.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { columnSum as referenceColumnSum } from './reference/column_sum.ts';
import { columnSum } from '../src/kernels/column_sum.ts';

const test = gpuSuite('column_sum');

for (const [M, N] of [
  [1, 1],
  [3, 5],
  [100, 500],
  [100, 784],
  [1000, 7],
] as const) {
  test(`db = column sums, M=${M} N=${N}`, async ({ gpu }) => {
    const a = seededUniform(M + N, M * N, -1, 1);
    const out = zeros(gpu, N);
    const actual = await runAndRead(
      gpu,
      [columnSum(gpu, { M, N, a: { buffer: upload(gpu, a) }, out: { buffer: out } })],
      out,
      N,
    );
    assertClose(actual, referenceColumnSum(a, M, N), { atol: 2e-7 * M + 1e-6, rtol: 1e-5, label: 'column_sum' });
  });
}

test('scaled by 1/M: the mean of M stacked vectors (parameter averaging), rounded as float32 sums in row order', async ({
  gpu,
}) => {
  for (const M of [2, 3, 4]) {
    const N = 1001;
    const a = seededUniform(40 + M, M * N, -1, 1);
    const out = zeros(gpu, N);
    const actual = await runAndRead(
      gpu,
      [columnSum(gpu, { M, N, a: { buffer: upload(gpu, a) }, out: { buffer: out }, scale: 1 / M })],
      out,
      N,
    );
    assertClose(actual, referenceColumnSum(a, M, N, 1 / M), { atol: 2e-7 * M, rtol: 1e-6, label: `mean of ${M}` });
  }
});

test('bad shapes are refused', ({ gpu }) => {
  throwsWith(
    () => columnSum(gpu, { M: 4, N: 0, a: { buffer: zeros(gpu, 4) }, out: { buffer: zeros(gpu, 1) } }),
    ['column_sum', 'N', 'M=4, N=0'],
  );
  throwsWith(
    () => columnSum(gpu, { M: 4, N: 3, a: { buffer: zeros(gpu, 11) }, out: { buffer: zeros(gpu, 3) } }),
    ['column_sum', 'a holds 11 floats, needs 12'],
  );
});

test.run();
