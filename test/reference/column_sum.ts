// Column sums of a row-major (M, N) matrix, times `scale`: the bias gradient of a dense layer is columnSum(dPre);
// the mean of M stacked vectors is columnSum(stacked, M, N, 1 / M).

export function columnSum(a: ArrayLike<number>, M: number, N: number, scale = 1): Float64Array {
  if (a.length !== M * N) throw new Error(`columnSum: length ${a.length} != ${M}*${N}`);
  const out = new Float64Array(N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) out[j] += a[i * N + j];
  return out.map((v) => v * scale);
}
