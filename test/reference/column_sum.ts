// Column sums of a row-major (M, N) matrix: the bias gradient of a dense layer is columnSum(dPre).

export function columnSum(a: ArrayLike<number>, M: number, N: number): Float64Array {
  if (a.length !== M * N) throw new Error(`columnSum: length ${a.length} != ${M}*${N}`);
  const out = new Float64Array(N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) out[j] += a[i * N + j];
  return out;
}
