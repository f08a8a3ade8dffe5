// conv2d_weight_lanes.wgsl — conv2d_weight.wgsl's filter gradient as an implicit matrix product shaped for CPU
// SIMD drivers (lavapipe): the same formula and bindings (see conv2d_weight.wgsl's header), another order of work.
//
//   dWeight[a, c, kh, kw] = Σ_b Σ_{sh, sw} small[b, a, sh, sw] · large[b, c, sh·s − p + kh, sw·s − p + kw]
//
// As C = A · B: C's rows are the small tensor's channels a, its columns (c, kh, kw) flattened — dWeight's own
// row-major order — and the reduction runs over the positions (b, sh, sw). A workgroup is one subgroup of
// LANES = 8 holding GROUPS blocks of 8 rows × 32 columns; lane l owns 4 columns. At each position a lane
// loads the 4 large values its columns read (gathered, zero outside the image) and, per block, small's value
// of row 8g + l, which lib/lanes_rows.wgsl shares with the other lanes. Not every lane loading the block's 8
// small values at addresses common to all lanes: measured 1.7× (conv 32→64) and 2.1× (convT 64→32) as long
// (issue 24, B = 100, lavapipe, alternating in one process) — presumably as lavapipe, unable to assume lane 0
// active inside a loop, takes its per-lane path for such loads too: 8 of them where one and 8 broadcasts do.
//
// Preconditions (src/kernels/conv2d_weight.ts checks them): the workgroup is ONE subgroup of at least LANES
// lanes. Rows past smallC and columns past largeC·k² read clamped addresses and are not stored.
//
// Dispatch: (ceil(largeC·k² / (4·LANES)), ceil(smallC / (8·GROUPS)), 1) workgroups of (LANES, 1, 1).

enable subgroups;

// #include "lib/lanes_rows.wgsl"

// All from the host (src/kernels/conv2d_weight.ts); none has a default. LANES must be 8.
override LANES: u32;
override GROUPS: u32;
override KERNEL: u32;
override STRIDE: u32;
override PADDING: u32;
// dims.smallH and dims.smallW again, as constants (src/kernels/conv2d_weight.ts): the position loops then have
// constant lengths, which lavapipe runs faster (conv 32→64's filter gradient 17 → 14.5 ms at B = 100, issue 24).
override SMALL_H: u32;
override SMALL_W: u32;

// The most blocks of 8 rows a workgroup holds (the accumulators below are written out for this many).
const MAX_GROUPS: u32 = 4u;

struct Dims { B: u32, smallC: u32, smallH: u32, smallW: u32, largeC: u32, largeH: u32, largeW: u32 }

@group(0) @binding(0) var<storage, read> small: array<f32>;
@group(0) @binding(1) var<storage, read> large: array<f32>;
@group(0) @binding(2) var<storage, read_write> dWeight: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;

fn store_block(acc: array<vec4<f32>, 8>, a0: u32, column: vec4<u32>) {
  let columns = dims.largeC * KERNEL * KERNEL;
  for (var r = 0u; r < 8u; r++) {
    let a = a0 + r;
    if (a >= dims.smallC) { return; }
    for (var j = 0u; j < 4u; j++) {
      if (column[j] < columns) { dWeight[a * columns + column[j]] = acc[r][j]; }
    }
  }
}

@compute @workgroup_size(LANES, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let a0 = wid.y * GROUPS * 8u;
  let taps = KERNEL * KERNEL;
  let columns = dims.largeC * taps;
  let small_plane = dims.smallH * dims.smallW;
  let large_plane = dims.largeH * dims.largeW;
  // Each column's large channel plane and tap offset (kh − p, kw − p); past the end: the last column.
  var column: vec4<u32>;
  var plane: vec4<u32>;
  var dh: vec4<i32>;
  var dw: vec4<i32>;
  for (var j = 0u; j < 4u; j++) {
    column[j] = wid.x * 4u * LANES + 4u * lane + j;
    let c = min(column[j], columns - 1u);
    plane[j] = (c / taps) * large_plane;
    dh[j] = i32((c % taps) / KERNEL) - i32(PADDING);
    dw[j] = i32(c % KERNEL) - i32(PADDING);
  }
  // This lane's small channel in each block (a row past smallC reads the last channel; it is never stored).
  var rows: array<u32, MAX_GROUPS>;
  for (var g = 0u; g < MAX_GROUPS; g++) { rows[g] = min(a0 + 8u * g + lane, dims.smallC - 1u) * small_plane; }
  let H = i32(dims.largeH);
  let W = i32(dims.largeW);
  var acc: array<array<vec4<f32>, 8>, MAX_GROUPS>;
  for (var b = 0u; b < dims.B; b++) {
    let small_image = b * dims.smallC * small_plane;
    let large_image = b * dims.largeC * large_plane;
    for (var sh = 0u; sh < SMALL_H; sh++) {
      let h = vec4<i32>(i32(sh * STRIDE)) + dh;
      for (var sw = 0u; sw < SMALL_W; sw++) {
        let w = vec4<i32>(i32(sw * STRIDE)) + dw;
        let inside = (h >= vec4(0)) & (h < vec4(H)) & (w >= vec4(0)) & (w < vec4(W));
        let at = vec4<u32>(large_image) + plane + vec4<u32>(clamp(h, vec4(0), vec4(H - 1)) * W + clamp(w, vec4(0), vec4(W - 1)));
        let bk = select(vec4(0.0), vec4(large[at.x], large[at.y], large[at.z], large[at.w]), inside);
        let s = small_image + sh * dims.smallW + sw;
        var la: vec4<f32>;
        if (GROUPS > 0u) { la[0] = small[rows[0] + s]; }
        if (GROUPS > 1u) { la[1] = small[rows[1] + s]; }
        if (GROUPS > 2u) { la[2] = small[rows[2] + s]; }
        if (GROUPS > 3u) { la[3] = small[rows[3] + s]; }
        acc = accumulate_blocks(acc, la, bk);
      }
    }
  }
  if (GROUPS > 0u) { store_block(acc[0], a0, column); }
  if (GROUPS > 1u) { store_block(acc[1], a0 + 8u, column); }
  if (GROUPS > 2u) { store_block(acc[2], a0 + 16u, column); }
  if (GROUPS > 3u) { store_block(acc[3], a0 + 24u, column); }
}
