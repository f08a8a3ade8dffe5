// matmul.wgsl — register-blocked matrix product with a fused epilogue.
//
// Computes   C (M, N) = epilogue( op(A) (M, K) · op(B) (K, N) )
// where op(X) is X or Xᵀ (overrides TRANSPOSE_A / TRANSPOSE_B) and the epilogue is one of
//   EPILOGUE_NONE        C = A·B                                  (dW = Xᵀ·dY, dz = dY·Wᵀ)
//   EPILOGUE_BIAS_ACT    C = act(A·B + bias),  aux = bias (N)      (a dense layer's forward pass)
//   EPILOGUE_ACT_GRAD    C = (A·B) ⊙ act'(aux), aux = y (M, N)    (dX = dY·Wᵀ times the derivative of the
//                        previous layer's activation, written in terms of that layer's output y)
//
// Bindings (every matrix row-major, see docs/conventions.md):
//   a:   op(A) is (M, K); stored (M, K), or (K, M) when TRANSPOSE_A
//   b:   op(B) is (K, N); stored (K, N), or (N, K) when TRANSPOSE_B
//   aux: bias (N) for EPILOGUE_BIAS_ACT, activation output (M, N) for EPILOGUE_ACT_GRAD, unused otherwise
//   c:   (M, N), written (never accumulated)
//   dims: M, N, K
//
// Two entry points, the same result (src/kernels/matmul_variant.ts says which runs where; matmul_lanes.wgsl
// is the third variant):
//   main   register-blocked: one invocation computes a TILE×TILE block of C straight from global memory,
//          reusing each loaded a/b value TILE times from registers. Loads clamp their row/column into range
//          instead of branching, so the inner loop has no conditions. Fastest on CPU drivers (lavapipe,
//          SwiftShader), whose "workgroup memory" is ordinary memory plus barrier costs.
//   tiled  the same register blocks, but the workgroup first stages a (TILE·WG_Y × TILE_K) panel of A and a
//          (TILE_K × TILE·WG_X) panel of B in workgroup memory, so each global value is read once per
//          workgroup instead of once per invocation: what real GPUs reward. Panels are staged in the stored
//          operand's memory order (coalesced for the transposed forms dW and dX too) into padded rows.
// Only the stores are guarded; no divisibility is assumed by either.
//
// Dispatch (both): (ceil(N / (TILE·WG_X)), ceil(M / (TILE·WG_Y)), 1) workgroups of (WG_X, WG_Y, 1).

// The epilogue table (EPILOGUE, ACTIVATION, activate, activation_derivative_from_output) is shared with
// matmul_lanes.wgsl; here it computes on scalars.
alias Real = f32;
// #include "lib/matmul_epilogue.wgsl"

// Outputs per invocation along each axis, from the host (src/kernels/matmul.ts MATMUL_TILE). At most 4: the
// register arrays below hold 4 (their size must be a const; a larger TILE would clamp their indices).
override TILE: u32;
// Depth of the K panel the tiled entry point stages in workgroup memory.
const TILE_K: u32 = 16u;

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;

struct Dims { M: u32, N: u32, K: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> aux: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<uniform> dims: Dims;

fn load_a(i: u32, k: u32) -> f32 {
  if (TRANSPOSE_A) { return a[k * dims.M + i]; }
  return a[i * dims.K + k];
}

fn load_b(k: u32, j: u32) -> f32 {
  if (TRANSPOSE_B) { return b[j * dims.K + k]; }
  return b[k * dims.N + j];
}

// Applies the epilogue to a finished TILE×TILE block whose top-left element is C[row0, col0] and stores the
// part of it that lies inside C.
fn store_block(row0: u32, col0: u32, acc: array<array<f32, 4>, 4>) {
  for (var r = 0u; r < TILE; r++) {
    let i = row0 + r;
    if (i >= dims.M) { break; }
    for (var s = 0u; s < TILE; s++) {
      let j = col0 + s;
      if (j >= dims.N) { break; }
      var v = acc[r][s];
      if (EPILOGUE == EPILOGUE_BIAS_ACT) {
        v = activate(v + aux[j]);
      } else if (EPILOGUE == EPILOGUE_ACT_GRAD) {
        v = v * activation_derivative_from_output(aux[i * dims.N + j]);
      }
      c[i * dims.N + j] = v;
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row0 = gid.y * TILE;
  let col0 = gid.x * TILE;
  if (row0 >= dims.M || col0 >= dims.N) { return; }

  // Clamped indices: out-of-range rows/columns re-read the last valid one; their results are never stored.
  var rows: array<u32, 4>;
  var cols: array<u32, 4>;
  for (var t = 0u; t < TILE; t++) {
    rows[t] = min(row0 + t, dims.M - 1u);
    cols[t] = min(col0 + t, dims.N - 1u);
  }

  var acc: array<array<f32, 4>, 4>;
  for (var k = 0u; k < dims.K; k++) {
    var av: array<f32, 4>;
    var bv: array<f32, 4>;
    for (var t = 0u; t < TILE; t++) {
      av[t] = load_a(rows[t], k);
      bv[t] = load_b(k, cols[t]);
    }
    for (var r = 0u; r < TILE; r++) {
      for (var s = 0u; s < TILE; s++) {
        acc[r][s] = fma(av[r], bv[s], acc[r][s]);
      }
    }
  }
  store_block(row0, col0, acc);
}

// Panels of the tiled entry point: A as [row][k], B as [k][column], each row padded by one float so that
// staging a transposed operand (consecutive invocations writing down a panel column) and reading a panel hit
// distinct workgroup-memory banks on GPUs.
const PAD: u32 = 1u;
var<workgroup> panelA: array<f32, TILE * WG_Y * (TILE_K + PAD)>;
var<workgroup> panelB: array<f32, TILE_K * (TILE * WG_X + PAD)>;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn tiled(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
         @builtin(local_invocation_index) flat: u32) {
  let blockRows = TILE * WG_Y;
  let blockCols = TILE * WG_X;
  let strideA = TILE_K + PAD;
  let strideB = blockCols + PAD;
  let rowBase = wid.y * blockRows;
  let colBase = wid.x * blockCols;
  // No early return: every invocation must reach every barrier. Out-of-range panel entries are zero.
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < dims.K; k0 += TILE_K) {
    // Staging walks each panel in the stored operand's memory order, so consecutive invocations read
    // consecutive addresses (coalesced on GPUs) whether or not the operand is transposed.
    for (var e = flat; e < blockRows * TILE_K; e += WG_X * WG_Y) {
      var r = e / TILE_K;
      var q = e % TILE_K;
      if (TRANSPOSE_A) {
        r = e % blockRows;
        q = e / blockRows;
      }
      let i = rowBase + r;
      let k = k0 + q;
      panelA[r * strideA + q] = select(0.0, load_a(min(i, dims.M - 1u), min(k, dims.K - 1u)), i < dims.M && k < dims.K);
    }
    for (var e = flat; e < TILE_K * blockCols; e += WG_X * WG_Y) {
      var q = e / blockCols;
      var s = e % blockCols;
      if (TRANSPOSE_B) {
        q = e % TILE_K;
        s = e / TILE_K;
      }
      let k = k0 + q;
      let j = colBase + s;
      panelB[q * strideB + s] = select(0.0, load_b(min(k, dims.K - 1u), min(j, dims.N - 1u)), k < dims.K && j < dims.N);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var t = 0u; t < TILE; t++) {
        av[t] = panelA[(lid.y * TILE + t) * strideA + kk];
        bv[t] = panelB[kk * strideB + lid.x * TILE + t];
      }
      for (var r = 0u; r < TILE; r++) {
        for (var s = 0u; s < TILE; s++) {
          acc[r][s] = fma(av[r], bv[s], acc[r][s]);
        }
      }
    }
    workgroupBarrier();
  }
  store_block(rowBase + lid.y * TILE, colBase + lid.x * TILE, acc);
}
