// column_sum.wgsl — column sums of a matrix, scaled: the bias gradient, and the mean of stacked vectors.
//
// Computes   out[j] = scale · Σ_i  a[i, j]        for j < N
//   scale 1:   db = column sums of dPre
//   scale 1/M: the mean of M stacked vectors (parameter averaging across trainers), summed in row order
//
// Bindings:
//   a:    (M, N) row-major
//   out:  (N), written
//   dims: M, N, scale
//
// One invocation owns one column and walks down its M rows; neighbouring invocations read neighbouring
// addresses of the same row, so each row is read contiguously by a workgroup.
// Dispatch: (ceil(N / WG), 1, 1) workgroups of (WG, 1, 1). No divisibility assumed.

// WG has no default: it is COLUMN_SUM_WORKGROUP (src/kernels/column_sum.ts), passed when the pipeline is made.
override WG: u32;

struct Dims { M: u32, N: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> dims: Dims;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  if (j >= dims.N) { return; }
  var sum = 0.0;
  for (var i = 0u; i < dims.M; i++) {
    sum += a[i * dims.N + j];
  }
  out[j] = sum * dims.scale;
}
