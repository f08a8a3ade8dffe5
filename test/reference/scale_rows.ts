// Float64 reference of shaders/scale_rows.wgsl.
export function scaleRows(a: ArrayLike<number>, rowScale: ArrayLike<number>, R: number, N: number): Float64Array {
  return Float64Array.from({ length: R * N }, (_, i) => a[i] * rowScale[Math.floor(i / N)]);
}
