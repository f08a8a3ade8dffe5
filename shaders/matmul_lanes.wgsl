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
// scalar load and an insert (Mesa gallivm lp_bld_nir_soa.c emit_load_mem: about 12 instructions per float and
// lane, against 2 for a multiply-add of all 8 lanes), while subgroupBroadcast with a constant lane is one
// permute. So loads are what a matmul costs there: a workgroup loads each value it needs once and keeps it
// for as many products as registers allow:
//   - a workgroup is a block of GROUPS·LANES rows (GROUPS blocks of 8) × 32 columns of C; lane l owns columns
//     4l .. 4l+3 of it: one vec4 accumulator per row;
//   - per step of 4 k values, each lane loads 4 vec4 of B (4 rows of its 4 columns, or 4 columns of 4 k when
//     transposed), which every row of the workgroup reuses, and one vec4 of A per block of 8 rows (a row's 4 k
//     values, or 4 rows at one k when A is transposed), which a_row shares one row at a time (one row's
//     broadcasts live at once, not the whole block's: fewer values spilled);
//   - GROUPS up to MAX_GROUPS = 5: more rows per B load, more accumulators (spilled to the stack, which costs
//     far less than loading again). The host picks GROUPS per shape so that few rows past M are computed;
//   - the step's 4 k values, the 8 rows of a block and the blocks are written out; the loops over 4 have
//     constant trip counts, which Mesa unrolls, so every array below is indexed by constants and lives in
//     registers (or their spill slots).
//
// Preconditions (src/kernels/matmul.ts checks them and runs matmul.wgsl's kernel where they fail):
//   - the workgroup is ONE subgroup: the adapter's subgroup size is at least LANES;
//   - every row that is read or written as vec4 has a multiple of 4 floats: K when A is (M, K), M when A is
//     stored (K, M), N for B stored (K, N) and for C and aux, K for B stored (N, K); bindings start 16-byte aligned.
// No other divisibility: rows past M, columns past N and k past K (the tail of a step) are clamped on load,
// their A values zeroed, and their results never stored.
//
// Dispatch: (ceil(N / (4·LANES)), ceil(M / (GROUPS·LANES)), 1) workgroups of (LANES, 1, 1); LANES and GROUPS
// come from the host.

enable subgroups;

// The epilogue table (EPILOGUE, ACTIVATION, activate, activation_derivative_from_output) is shared with
// matmul.wgsl; here it computes on a lane's vec4 of columns.
alias Real = vec4<f32>;
// #include "lib/matmul_epilogue.wgsl"
// #include "lib/fma4.wgsl"

// Invocations per workgroup, from the host (src/kernels/matmul.ts). It must be 8: a_row and the register arrays
// below are written out for 8 lanes.
override LANES: u32;
// Blocks of LANES rows per workgroup, from the host: 1 .. MAX_GROUPS.
override GROUPS: u32;
override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;

// The most blocks of rows a workgroup can hold (the accumulators below are written out for this many).
const MAX_GROUPS: u32 = 5u;

struct Dims { M: u32, N: u32, K: u32 }

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> aux: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> dims: Dims;

// The vec4 holding floats e..e+3 of a row-major buffer (e is a multiple of 4).
fn quad_a(e: u32) -> vec4<f32> { return a[e >> 2u]; }
fn quad_b(e: u32) -> vec4<f32> { return b[e >> 2u]; }

// This lane's share of A's rows r0 .. r0+7 at k0 .. k0+3: A[r0 + lane][k0 .. k0+3]; or, when A is transposed,
// A[r0 + 4h .. r0 + 4h+3][k0 + q] for lane = 4h + q. Rows past M and k past K read clamped addresses; k past K
// is zeroed (rows past M are never stored).
fn load_a_lane(r0: u32, k0: u32, lane: u32) -> vec4<f32> {
  let M = dims.M;
  let K = dims.K;
  if (TRANSPOSE_A) {
    // Stored (K, M), M a multiple of 4.
    let k = k0 + (lane & 3u);
    let quad = quad_a(min(k, K - 1u) * M + min(r0 + 4u * (lane >> 2u), M - 4u));
    return select(vec4(0.0), quad, k < K);
  }
  // Stored (M, K), K a multiple of 4: k0 .. k0+3 are all inside K.
  return quad_a(min(r0 + lane, M - 1u) * K + k0);
}

// A[r0 + r][k0 .. k0+3] in every lane, from the lanes' shares (r must be a constant: subgroupBroadcast takes
// constant lanes, so accumulate calls this with each row written out).
fn a_row(la: vec4<f32>, r: u32) -> vec4<f32> {
  if (TRANSPOSE_A) {
    let x = la[r & 3u];
    if (r < 4u) {
      return vec4(subgroupBroadcast(x, 0u), subgroupBroadcast(x, 1u), subgroupBroadcast(x, 2u), subgroupBroadcast(x, 3u));
    }
    return vec4(subgroupBroadcast(x, 4u), subgroupBroadcast(x, 5u), subgroupBroadcast(x, 6u), subgroupBroadcast(x, 7u));
  }
  switch (r) {
    case 0u: { return subgroupBroadcast(la, 0u); }
    case 1u: { return subgroupBroadcast(la, 1u); }
    case 2u: { return subgroupBroadcast(la, 2u); }
    case 3u: { return subgroupBroadcast(la, 3u); }
    case 4u: { return subgroupBroadcast(la, 4u); }
    case 5u: { return subgroupBroadcast(la, 5u); }
    case 6u: { return subgroupBroadcast(la, 6u); }
    default: { return subgroupBroadcast(la, 7u); }
  }
}

// bk[kk] = B[k0 + kk][col .. col+3] for this lane (k clamped past K, where A is zero).
fn load_b_block(k0: u32, col: u32) -> array<vec4<f32>, 4> {
  let N = dims.N;
  let K = dims.K;
  var bk: array<vec4<f32>, 4>;
  if (TRANSPOSE_B) {
    // Stored (N, K), K a multiple of 4: four columns of 4 k each, transposed in registers.
    var t: array<vec4<f32>, 4>;
    for (var s = 0u; s < 4u; s++) {
      t[s] = quad_b((col + s) * K + k0);
    }
    for (var kk = 0u; kk < 4u; kk++) {
      bk[kk] = vec4(t[0][kk], t[1][kk], t[2][kk], t[3][kk]);
    }
  } else {
    for (var kk = 0u; kk < 4u; kk++) {
      bk[kk] = quad_b(min(k0 + kk, K - 1u) * N + col);
    }
  }
  return bk;
}

// acc[r] += Σ_kk A[r0 + r][k0 + kk] · bk[kk] for the 8 rows of a block, one row's A shared at a time.
fn accumulate(acc: array<vec4<f32>, 8>, la: vec4<f32>, bk: array<vec4<f32>, 4>) -> array<vec4<f32>, 8> {
  var out: array<vec4<f32>, 8>;
  out[0] = fma4(acc[0], a_row(la, 0u), bk);
  out[1] = fma4(acc[1], a_row(la, 1u), bk);
  out[2] = fma4(acc[2], a_row(la, 2u), bk);
  out[3] = fma4(acc[3], a_row(la, 3u), bk);
  out[4] = fma4(acc[4], a_row(la, 4u), bk);
  out[5] = fma4(acc[5], a_row(la, 5u), bk);
  out[6] = fma4(acc[6], a_row(la, 6u), bk);
  out[7] = fma4(acc[7], a_row(la, 7u), bk);
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
  // Blocks past GROUPS are never touched (GROUPS is a constant when the pipeline is made).
  var acc: array<array<vec4<f32>, 8>, MAX_GROUPS>;
  for (var k0 = 0u; k0 < dims.K; k0 += 4u) {
    let bk = load_b_block(k0, colClamped);
    if (GROUPS > 0u) { acc[0] = accumulate(acc[0], load_a_lane(row0 + 0u * LANES, k0, lane), bk); }
    if (GROUPS > 1u) { acc[1] = accumulate(acc[1], load_a_lane(row0 + 1u * LANES, k0, lane), bk); }
    if (GROUPS > 2u) { acc[2] = accumulate(acc[2], load_a_lane(row0 + 2u * LANES, k0, lane), bk); }
    if (GROUPS > 3u) { acc[3] = accumulate(acc[3], load_a_lane(row0 + 3u * LANES, k0, lane), bk); }
    if (GROUPS > 4u) { acc[4] = accumulate(acc[4], load_a_lane(row0 + 4u * LANES, k0, lane), bk); }
  }
  if (col >= dims.N) { return; }
  if (GROUPS > 0u) { store_rows(acc[0], row0 + 0u * LANES, col); }
  if (GROUPS > 1u) { store_rows(acc[1], row0 + 1u * LANES, col); }
  if (GROUPS > 2u) { store_rows(acc[2], row0 + 2u * LANES, col); }
  if (GROUPS > 3u) { store_rows(acc[3], row0 + 3u * LANES, col); }
  if (GROUPS > 4u) { store_rows(acc[4], row0 + 4u * LANES, col); }
}
