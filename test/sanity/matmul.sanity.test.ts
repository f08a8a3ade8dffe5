// matmul by hand, and the transpose flags against explicit transposes.
import { test } from 'uvu';
import { matmul } from '../reference/matmul.ts';
import { columnSum } from '../reference/column_sum.ts';
import { assertClose } from '../assert_close.ts';
import { seededNormal } from '../seeded_random.ts';

const exact = { atol: 0, rtol: 0 };

function transpose(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

test('matmul: 2×3 · 3×2 by hand', () => {
  const a = [1, 2, 3, 4, 5, 6];
  const b = [7, 8, 9, 10, 11, 12];
  assertClose(matmul(a, b, 2, 3, 2), [58, 64, 139, 154], { ...exact, label: 'C' });
});

test('matmul: transposeA / transposeB read (K, M) / (N, K) storage', () => {
  const [M, K, N] = [3, 7, 5];
  const a = seededNormal(1, M * K);
  const b = seededNormal(2, K * N);
  const c = matmul(a, b, M, K, N);
  const aT = transpose(a, M, K); // stored (K, M)
  const bT = transpose(b, K, N); // stored (N, K)
  assertClose(matmul(aT, b, M, K, N, { transposeA: true }), c, { ...exact, label: 'tA' });
  assertClose(matmul(a, bT, M, K, N, { transposeB: true }), c, { ...exact, label: 'tB' });
  assertClose(matmul(aT, bT, M, K, N, { transposeA: true, transposeB: true }), c, { ...exact, label: 'tA tB' });
});

test('columnSum by hand', () => {
  assertClose(columnSum([1, 2, 3, 4, 5, 6], 2, 3), [5, 7, 9], { ...exact, label: 'colsum' });
});

test.run();
