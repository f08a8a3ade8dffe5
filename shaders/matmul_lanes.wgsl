// matmul_lanes.wgsl — matrix product shaped for CPU SIMD drivers (lavapipe): one workgroup is one subgroup of
// LANES = 8 invocations, values are shared between lanes with subgroupBroadcast, and every global load is a vec4.
//
// Computes   C (M, N) = epilogue( op(A) (M, K) · op(B) (K, N) )
// with the same transposes and epilogues as matmul.wgsl:
//   EPILOGUE_NONE        C = A·B
//   EPILOGUE_BIAS_ACT    C = act(A·B + bias),  aux = bias (N)
//   EPILOGUE_ACT_GRAD    C = (A·B) ⊙ act'(aux), aux = y (M, N), act' written through the activation's output y
//
// Bindings (every matrix row-major, all read as vec4<f32>):
//   a:   op(A) is (M, K); stored (M, K), or (K, M) when TRANSPOSE_A
//   b:   op(B) is (K, N); stored (K, N), or (N, K) when TRANSPOSE_B
//   aux: bias (N), or y (M, N); unused (any 16 bytes) with EPILOGUE_NONE
//   c:   (M, N), written (never accumulated)
//   dims: M, N, K
//
// Why this shape. lavapipe runs 8 invocations as one 8-wide SIMD vector on one thread; a storage load whose
// address is not a constant becomes a loop over the 8 lanes with, per component, a bounds check, a branch, a
// scalar load and an insert (Mesa gallivm lp_bld_nir_soa.c emit_load_mem), while subgroupBroadcast with a
// constant lane is one permute. So loads are what a matmul costs there, and they are shared, not repeated:
//   - a workgroup is a block of GROUPS·LANES rows (GROUPS blocks of 8) × 32 columns of C; lane l owns columns
//     4l .. 4l+3 of it: one vec4 accumulator per row;
//   - per step of 8 k values, each lane loads two vec4 of A per row block (a row's 8 k values, or a k's 8 rows
//     when A is transposed), shared by gather8 (8 broadcasts each), and 8 vec4 of B (8 rows of its 4 columns,
//     or 4 columns of 8 k when transposed) that every row block reuses;
//   - the 8 k values of a step are unrolled by hand; the loops over 8 and 4 have constant trip counts, which
//     Mesa unrolls, so every array below is indexed by constants and lives in registers.
//
// Preconditions (src/kernels/matmul.ts checks them and runs matmul.wgsl's kernel where they fail):
//   - the workgroup is ONE subgroup: the adapter's subgroup size is at least LANES;
//   - every row that is read or written as vec4 has a multiple of 4 floats: K when A is (M, K), M when A is
//     stored (K, M), N for B stored (K, N) and for C and aux, K for B stored (N, K); bindings start 16-byte aligned.
// No other divisibility: rows past M, columns past N and k past K (the tail of a block) are clamped on load,
// their A values zeroed, and their results never stored.
//
// Dispatch: (ceil(N / (4·LANES)), ceil(M / (GROUPS·LANES)), 1) workgroups of (LANES, 1, 1); LANES and GROUPS
// come from the host.

enable subgroups;

// The epilogue table (EPILOGUE, ACTIVATION, activate, activation_derivative_from_output) is shared with
// matmul.wgsl; here it computes on a lane's vec4 of columns.
alias Real = vec4<f32>;
// #include "lib/matmul_epilogue.wgsl"

// Invocations per workgroup, rows of C per workgroup and k values per step, from the host (src/kernels/matmul.ts).
// It must be 8: gather8 and the register arrays below are written out for 8 lanes.
override LANES: u32;
// Blocks of LANES rows per workgroup, from the host: 1 or 2 (acc0, acc1).
override GROUPS: u32;
override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;

struct Dims { M: u32, N: u32, K: u32 }

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> aux: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> dims: Dims;

// Every lane's v, in lane order: the subgroup's 8 values (lane ids must be constants, hence written out).
fn gather8(v: vec4<f32>) -> array<vec4<f32>, 8> {
  return array<vec4<f32>, 8>(
    subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u), subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u),
    subgroupBroadcast(v, 4u), subgroupBroadcast(v, 5u), subgroupBroadcast(v, 6u), subgroupBroadcast(v, 7u));
}

// The vec4 holding floats e..e+3 of a row-major buffer (e is a multiple of 4).
fn quad_a(e: u32) -> vec4<f32> { return a[e >> 2u]; }
fn quad_b(e: u32) -> vec4<f32> { return b[e >> 2u]; }

// A's rows r0 .. r0+7 at k0 .. k0+7, the same in every lane: lo[r] = A[r0 + r][k0 .. k0+3], hi[r] = [k0+4 .. k0+7].
struct RowBlock { lo: array<vec4<f32>, 8>, hi: array<vec4<f32>, 8> }

// Each lane loads two vec4 of A; gather8 shares them. Rows past M and k past K read clamped addresses; k past
// K is zeroed (rows past M are never stored).
fn load_a_rows(r0: u32, k0: u32, lane: u32) -> RowBlock {
  let M = dims.M;
  let K = dims.K;
  var block: RowBlock;
  if (TRANSPOSE_A) {
    // Stored (K, M), M a multiple of 4: this lane reads k = k0 + lane, rows r0 .. r0+7.
    let keep = k0 + lane < K;
    let base = min(k0 + lane, K - 1u) * M;
    let lo = gather8(select(vec4(0.0), quad_a(base + min(r0, M - 4u)), keep));
    let hi = gather8(select(vec4(0.0), quad_a(base + min(r0 + 4u, M - 4u)), keep));
    // lo[kk] = A[r0 .. r0+3][k0 + kk], hi[kk] = A[r0+4 .. r0+7][k0 + kk]: transposed into rows.
    for (var r = 0u; r < 4u; r++) {
      block.lo[r] = vec4(lo[0][r], lo[1][r], lo[2][r], lo[3][r]);
      block.hi[r] = vec4(lo[4][r], lo[5][r], lo[6][r], lo[7][r]);
      block.lo[r + 4u] = vec4(hi[0][r], hi[1][r], hi[2][r], hi[3][r]);
      block.hi[r + 4u] = vec4(hi[4][r], hi[5][r], hi[6][r], hi[7][r]);
    }
  } else {
    // Stored (M, K), K a multiple of 4: this lane reads row r0 + lane, k0 .. k0+7; the upper quad is
    // entirely past K or entirely inside it.
    let base = min(r0 + lane, M - 1u) * K;
    block.lo = gather8(quad_a(base + k0));
    block.hi = gather8(select(vec4(0.0), quad_a(base + min(k0 + 4u, K - 4u)), k0 + 4u < K));
  }
  return block;
}

// bk[kk] = B[k0 + kk][col .. col+3] for this lane (k clamped past K, where A is zero).
fn load_b_block(k0: u32, col: u32) -> array<vec4<f32>, 8> {
  let N = dims.N;
  let K = dims.K;
  var bk: array<vec4<f32>, 8>;
  if (TRANSPOSE_B) {
    // Stored (N, K), K a multiple of 4: four columns of 8 k each, transposed in registers.
    var lo: array<vec4<f32>, 4>;
    var hi: array<vec4<f32>, 4>;
    for (var s = 0u; s < 4u; s++) {
      let base = (col + s) * K;
      lo[s] = quad_b(base + k0);
      hi[s] = quad_b(base + min(k0 + 4u, K - 4u));
    }
    for (var kk = 0u; kk < 4u; kk++) {
      bk[kk] = vec4(lo[0][kk], lo[1][kk], lo[2][kk], lo[3][kk]);
      bk[kk + 4u] = vec4(hi[0][kk], hi[1][kk], hi[2][kk], hi[3][kk]);
    }
  } else {
    for (var kk = 0u; kk < 8u; kk++) {
      bk[kk] = quad_b(min(k0 + kk, K - 1u) * N + col);
    }
  }
  return bk;
}

// acc[r] += Σ_kk A[r][k0 + kk] · bk[kk] for the 8 rows of a block.
fn accumulate(acc: array<vec4<f32>, 8>, a: RowBlock, bk: array<vec4<f32>, 8>) -> array<vec4<f32>, 8> {
  var out = acc;
  for (var r = 0u; r < 8u; r++) {
    let lo = a.lo[r];
    let hi = a.hi[r];
    var s = out[r];
    s = fma(vec4(lo.x), bk[0], s);
    s = fma(vec4(lo.y), bk[1], s);
    s = fma(vec4(lo.z), bk[2], s);
    s = fma(vec4(lo.w), bk[3], s);
    s = fma(vec4(hi.x), bk[4], s);
    s = fma(vec4(hi.y), bk[5], s);
    s = fma(vec4(hi.z), bk[6], s);
    s = fma(vec4(hi.w), bk[7], s);
    out[r] = s;
  }
  return out;
}

// Applies the epilogue to rows r0 .. r0+7 of this lane's columns col .. col+3 and stores those inside C.
fn store_rows(acc: array<vec4<f32>, 8>, r0: u32, col: u32) {
  for (var r = 0u; r < 8u; r++) {
    let i = r0 + r;
    if (i >= dims.M) { break; }
    let e = i * dims.N + col;
    var v = acc[r];
    if (EPILOGUE == EPILOGUE_BIAS_ACT) {
      v = activate(v + aux[col >> 2u]);
    } else if (EPILOGUE == EPILOGUE_ACT_GRAD) {
      v = v * activation_derivative_from_output(aux[e >> 2u]);
    }
    c[e >> 2u] = v;
  }
}

@compute @workgroup_size(LANES, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let row0 = wid.y * GROUPS * LANES;
  let col = wid.x * 4u * LANES + 4u * lane;
  // A past-the-end lane re-reads the last quad of B; its results are never stored.
  let colClamped = min(col, dims.N - 4u);
  var acc0: array<vec4<f32>, 8>;
  var acc1: array<vec4<f32>, 8>;
  for (var k0 = 0u; k0 < dims.K; k0 += LANES) {
    let bk = load_b_block(k0, colClamped);
    acc0 = accumulate(acc0, load_a_rows(row0, k0, lane), bk);
    if (GROUPS == 2u) {
      acc1 = accumulate(acc1, load_a_rows(row0 + LANES, k0, lane), bk);
    }
  }
  if (col >= dims.N) { return; }
  store_rows(acc0, row0, col);
  if (GROUPS == 2u) {
    store_rows(acc1, row0 + LANES, col);
  }
}
