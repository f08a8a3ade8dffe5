// conv2d_lanes.wgsl — conv2d.wgsl's two entry points as implicit matrix products shaped for CPU SIMD drivers
// (lavapipe): the same formulas, bindings and epilogues (see conv2d.wgsl's header), another order of work.
//
//   correlate   dst[b, o, h, w] = epi( Σ_{i, kh, kw} weight[o, i, kh, kw] · src[b, i, h·s − p + kh, w·s − p + kw] )
//   transposed  dst[b, o, h, w] = epi( Σ_{i, kh, kw : h = ih·s − p + kh, w = iw·s − p + kw}
//                                        weight[i, o, kh, kw] · src[b, i, ih, iw] )
//
// As a matrix product C = A · B: C's rows are dst's channels o, its columns dst's pixels (b, h, w) of the whole
// batch, A is the weight (a row per o, a column per tap (i, kh, kw)) and B the src values each tap reads. A
// workgroup is one subgroup of LANES = 8 holding GROUPS blocks of 8 channels × 32 pixels; lane l owns 4
// pixels. At each tap a lane loads the 4 src values of its pixels (gathered, zero outside src) and, per block,
// the weight of channel 8g + l, which lib/lanes_rows.wgsl shares with the other lanes: each src value serves
// 8·GROUPS channels and each weight 32 pixels, where conv2d.wgsl's invocation reuses each only 4 times.
//   correlate: columns are every pixel of dst in NCHW order (b, h, w), 32 per workgroup.
//   transposed: a workgroup's pixels share one residue (h mod s, w mod s) = (rh, rw), so they take the same
//     taps (kh ≡ rh + p, kw ≡ rw + p mod s) and A's row is the same for all of them; its columns are
//     (b, qh, qw) with h = rh + s·qh, w = rw + s·qw, qh < ceil(dstH / s), qw < ceil(dstW / s) (pixels past dst
//     are computed on clamped reads and not stored).
//
// A third entry point, transposed_subpixel (at the end of this file), computes the transposed form for outputs
// of few channels, with the stride residues as rows.
//
// Preconditions (src/kernels/conv2d.ts checks them): the workgroup is ONE subgroup (the adapter's subgroups have
// at least LANES lanes). Channels past dstC read a clamped weight and are not stored. No divisibility assumed.
//
// Dispatch: (ceil(columns / (4·LANES)), ceil(dstC / (8·GROUPS)), z) workgroups of (LANES, 1, 1), where
//   correlate   columns = B·dstH·dstW,                          z = 1
//   transposed  columns = B·ceil(dstH / s)·ceil(dstW / s),      z = s² (the residue rh·s + rw)

enable subgroups;

alias Real = f32;
// #include "lib/matmul_epilogue.wgsl"
// #include "lib/lanes_rows.wgsl"

// All from the host (src/kernels/conv2d.ts); none has a default. LANES must be 8 (lib/lanes_rows.wgsl).
override LANES: u32;
override GROUPS: u32;
override KERNEL: u32;
override STRIDE: u32;
override PADDING: u32;
// From the host. KERNEL_ROW_VEC4 (correlate): KERNEL is 4, so a kernel row is one vec4 of weight4 (the weight
// buffer read as vec4s), each block's 4 taps of a row in one load, where a per-lane vec4 load costs lavapipe
// about half as much per float as an f32 one (bench/load_paths.ts): conv 32→64's forward 25 → 18 ms.
// STRIDE_DIVIDES_KERNEL (transposed): every stride residue takes KERNEL / STRIDE taps a side.
override KERNEL_ROW_VEC4: bool = false;
override STRIDE_DIVIDES_KERNEL: bool = false;

// The most blocks of 8 channels a workgroup holds (the accumulators below are written out for this many).
const MAX_GROUPS: u32 = 4u;

struct Dims { B: u32, srcC: u32, srcH: u32, srcW: u32, dstC: u32, dstH: u32, dstW: u32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> aux: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<uniform> dims: Dims;
// The weight binding's buffer range again, read as vec4s: bound (and read) only by correlate (KERNEL_ROW_VEC4).
@group(0) @binding(5) var<storage, read> weight4: array<vec4<f32>>;

// src[b, ·, h, w] of channel plane `plane`, or 0 outside the image.
fn src_at(plane: u32, h: i32, w: i32) -> f32 {
  let inside = h >= 0 && h < i32(dims.srcH) && w >= 0 && w < i32(dims.srcW);
  let index = plane + u32(clamp(h, 0, i32(dims.srcH) - 1)) * dims.srcW + u32(clamp(w, 0, i32(dims.srcW) - 1));
  return select(0.0, src[index], inside);
}

// A lane's 4 pixels: their image, their place in dst's plane, and whether they lie inside dst.
struct Pixels { image: vec4<u32>, h: vec4<i32>, w: vec4<i32>, inside: vec4<bool> }

// Applies the epilogue to block g's rows and stores this lane's pixels that lie inside dst.
fn store_block(acc: array<vec4<f32>, 8>, o0: u32, px: Pixels) {
  let plane = dims.dstH * dims.dstW;
  for (var r = 0u; r < 8u; r++) {
    let o = o0 + r;
    if (o >= dims.dstC) { return; }
    for (var j = 0u; j < 4u; j++) {
      if (!px.inside[j]) { continue; }
      let index = (px.image[j] * dims.dstC + o) * plane + u32(px.h[j]) * dims.dstW + u32(px.w[j]);
      var v = acc[r][j];
      if (EPILOGUE == EPILOGUE_BIAS_ACT) {
        v = activate(v + aux[o]);
      } else if (EPILOGUE == EPILOGUE_ACT_GRAD) {
        v = v * activation_derivative_from_output(aux[index]);
      }
      dst[index] = v;
    }
  }
}

// Per block g < GROUPS, the f32 at weight[rows[g] + offset] (0 for the others).
fn block_weights(rows: array<u32, MAX_GROUPS>, offset: u32) -> vec4<f32> {
  var w: vec4<f32>;
  if (GROUPS > 0u) { w[0] = weight[rows[0] + offset]; }
  if (GROUPS > 1u) { w[1] = weight[rows[1] + offset]; }
  if (GROUPS > 2u) { w[2] = weight[rows[2] + offset]; }
  if (GROUPS > 3u) { w[3] = weight[rows[3] + offset]; }
  return w;
}

// Per block g < GROUPS, its kernel row of 4 taps: weight4's vec4 at weight[rows[g] + offset ..] (offset a
// multiple of 4); zeros for the others. accumulate_blocks4 takes each block's row as its lanes' A values.
fn block_kernel_rows(rows: array<u32, MAX_GROUPS>, offset: u32) -> array<vec4<f32>, MAX_GROUPS> {
  var w: array<vec4<f32>, MAX_GROUPS>;
  if (GROUPS > 0u) { w[0] = weight4[(rows[0] + offset) >> 2u]; }
  if (GROUPS > 1u) { w[1] = weight4[(rows[1] + offset) >> 2u]; }
  if (GROUPS > 2u) { w[2] = weight4[(rows[2] + offset) >> 2u]; }
  if (GROUPS > 3u) { w[3] = weight4[(rows[3] + offset) >> 2u]; }
  return w;
}

// The src values of a lane's 4 pixels at (h, w) of channel plane `channel` of their images (0 outside src).
fn src_quad(image_base: vec4<u32>, channel: u32, h: vec4<i32>, w: vec4<i32>) -> vec4<f32> {
  return vec4<f32>(
    src_at(image_base.x + channel, h.x, w.x),
    src_at(image_base.y + channel, h.y, w.y),
    src_at(image_base.z + channel, h.z, w.z),
    src_at(image_base.w + channel, h.w, w.w),
  );
}

// Stores every block g < GROUPS (channels o0 + 8g ..).
fn store_blocks(acc: array<array<vec4<f32>, 8>, MAX_GROUPS>, o0: u32, px: Pixels) {
  if (GROUPS > 0u) { store_block(acc[0], o0, px); }
  if (GROUPS > 1u) { store_block(acc[1], o0 + 8u, px); }
  if (GROUPS > 2u) { store_block(acc[2], o0 + 16u, px); }
  if (GROUPS > 3u) { store_block(acc[3], o0 + 24u, px); }
}

@compute @workgroup_size(LANES, 1, 1)
fn correlate(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let o0 = wid.y * GROUPS * 8u;
  let plane = dims.dstH * dims.dstW;
  var px: Pixels;
  // src offsets of each pixel's image and the top-left of its receptive field.
  var image_base: vec4<u32>;
  var h0: vec4<i32>;
  var w0: vec4<i32>;
  for (var j = 0u; j < 4u; j++) {
    let column = wid.x * 4u * LANES + 4u * lane + j;
    px.inside[j] = column < dims.B * plane;
    let c = min(column, dims.B * plane - 1u);
    px.image[j] = c / plane;
    px.h[j] = i32((c % plane) / dims.dstW);
    px.w[j] = i32(c % dims.dstW);
    image_base[j] = px.image[j] * dims.srcC * dims.srcH * dims.srcW;
    h0[j] = px.h[j] * i32(STRIDE) - i32(PADDING);
    w0[j] = px.w[j] * i32(STRIDE) - i32(PADDING);
  }
  let taps = KERNEL * KERNEL;
  // This lane's weight row in each block (a channel past dstC reads the last row; it is never stored).
  var rows: array<u32, MAX_GROUPS>;
  for (var g = 0u; g < MAX_GROUPS; g++) { rows[g] = min(o0 + 8u * g + lane, dims.dstC - 1u) * dims.srcC * taps; }
  var acc: array<array<vec4<f32>, 8>, MAX_GROUPS>;
  for (var i = 0u; i < dims.srcC; i++) {
    let channel = i * dims.srcH * dims.srcW;
    for (var kh = 0u; kh < KERNEL; kh++) {
      let h = h0 + vec4(i32(kh));
      let row = i * taps + kh * KERNEL;
      if (KERNEL_ROW_VEC4) {
        var bk: array<vec4<f32>, 4>;
        for (var kw = 0u; kw < 4u; kw++) { bk[kw] = src_quad(image_base, channel, h, w0 + vec4(i32(kw))); }
        acc = accumulate_blocks4(acc, block_kernel_rows(rows, row), bk);
      } else {
        for (var kw = 0u; kw < KERNEL; kw++) {
          acc = accumulate_blocks(acc, block_weights(rows, row + kw), src_quad(image_base, channel, h, w0 + vec4(i32(kw))));
        }
      }
    }
  }
  store_blocks(acc, o0, px);
}

@compute @workgroup_size(LANES, 1, 1)
fn transposed(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let o0 = wid.y * GROUPS * 8u;
  let rh = wid.z / STRIDE;
  let rw = wid.z % STRIDE;
  // Pixels of this residue per image: qh < QH rows and qw < QW columns of them.
  let QH = (dims.dstH + STRIDE - 1u) / STRIDE;
  let QW = (dims.dstW + STRIDE - 1u) / STRIDE;
  var px: Pixels;
  var image_base: vec4<u32>;
  // h + p and w + p of each pixel: tap kh reads src row (h + p − kh) / s, exact for the taps taken.
  var hp: vec4<i32>;
  var wp: vec4<i32>;
  // The pixel's place (qh, qw) in its residue's grid: h = rh + s·qh.
  var qh: vec4<i32>;
  var qw: vec4<i32>;
  let s = i32(STRIDE);
  for (var j = 0u; j < 4u; j++) {
    let column = wid.x * 4u * LANES + 4u * lane + j;
    let c = min(column, dims.B * QH * QW - 1u);
    px.image[j] = c / (QH * QW);
    qh[j] = i32((c % (QH * QW)) / QW);
    qw[j] = i32(c % QW);
    px.h[j] = i32(rh) + s * qh[j];
    px.w[j] = i32(rw) + s * qw[j];
    px.inside[j] = column < dims.B * QH * QW && px.h[j] < i32(dims.dstH) && px.w[j] < i32(dims.dstW);
    image_base[j] = px.image[j] * dims.srcC * dims.srcH * dims.srcW;
    hp[j] = px.h[j] + i32(PADDING);
    wp[j] = px.w[j] + i32(PADDING);
  }
  let taps = KERNEL * KERNEL;
  // weight[i, o, kh, kw]: this lane's channel o in each block, within input channel i's rows.
  var rows: array<u32, MAX_GROUPS>;
  for (var g = 0u; g < MAX_GROUPS; g++) { rows[g] = min(o0 + 8u * g + lane, dims.dstC - 1u) * taps; }
  let kh0 = (rh + PADDING) % STRIDE;
  let kw0 = (rw + PADDING) % STRIDE;
  var acc: array<array<vec4<f32>, 8>, MAX_GROUPS>;
  if (STRIDE_DIVIDES_KERNEL) {
    // Every residue takes T = KERNEL / s taps a side: kh = kh0 + s·th reads src row (h + p − kh) / s =
    // qh + dh0 − th (dh0 = (rh + p) / s; likewise w). So one loop of constant length T² over the taps, one tap
    // per step, and no pixel divides: conv 32→64's input gradient 22 → 16 ms against two nested loops, and 34
    // where the loop's length is not a constant (lavapipe, B = 100, issue 24).
    let dh0 = i32((rh + PADDING) / STRIDE);
    let dw0 = i32((rw + PADDING) / STRIDE);
    let T = KERNEL / STRIDE;
    for (var i = 0u; i < dims.srcC; i++) {
      let channel = i * dims.srcH * dims.srcW;
      let weight_channel = i * dims.dstC * taps;
      for (var t = 0u; t < T * T; t++) {
        let th = t / T;
        let tw = t % T;
        let bk = src_quad(image_base, channel, qh + vec4(dh0 - i32(th)), qw + vec4(dw0 - i32(tw)));
        acc = accumulate_blocks(acc, block_weights(rows, weight_channel + (kh0 + th * STRIDE) * KERNEL + kw0 + tw * STRIDE), bk);
      }
    }
  } else {
    for (var i = 0u; i < dims.srcC; i++) {
      let channel = i * dims.srcH * dims.srcW;
      let weight_channel = i * dims.dstC * taps;
      for (var kh = kh0; kh < KERNEL; kh += STRIDE) {
        let h = (hp - vec4(i32(kh))) / s;
        for (var kw = kw0; kw < KERNEL; kw += STRIDE) {
          let bk = src_quad(image_base, channel, h, (wp - vec4(i32(kw))) / s);
          acc = accumulate_blocks(acc, block_weights(rows, weight_channel + kh * KERNEL + kw), bk);
        }
      }
    }
  }
  store_blocks(acc, o0, px);
}

// transposed_subpixel — the transposed form for outputs of few channels (src/kernels/conv2d.ts says when): the
// s² stride residues become rows beside the channels, so that every residue shares each src value a lane loads.
// Output pixel h = rh + s·qh with tap kh reads src row (h + p − kh) / s = qh + dh, dh = (rh + p − kh) / s; so
// over the offsets dh in [D_LO, D_HI] (from the host: every dh some residue's tap reaches) the form is a plain
// stride-1 correlation of src with s²·dstC output rows r = (rh·s + rw)·dstC + o, whose weight at offset
// (dh, dw) is weight[i, o, rh + p − s·dh, rw + p − s·dw] where that tap lies inside the kernel, else 0:
//   dst[b, o, rh + s·qh, rw + s·qw] = epi( Σ_{i, dh, dw} A[r, i, dh, dw] · src[b, i, qh + dh, qw + dw] )
// A workgroup holds all s²·dstC rows (GROUPS blocks of 8, s²·dstC ≤ 8·MAX_GROUPS) and 32 columns (b, qh, qw),
// qh < ceil(dstH / s), qw < ceil(dstW / s). It computes (D_HI − D_LO + 1)² offsets where each residue needs
// only about (k / s)² taps, and in exchange each src value serves s² residues.
// Dispatch: (ceil(B·ceil(dstH / s)·ceil(dstW / s) / (4·LANES)), 1, 1) workgroups of (LANES, 1, 1).

override D_LO: i32 = 0;
override D_HI: i32 = 0;

// weight[row + kh·k + kw] where the tap (kh, kw) lies inside the kernel, else 0 (no tap of this residue).
fn tap_weight(row: u32, kh: i32, kw: i32) -> f32 {
  let k = i32(KERNEL);
  let tap = u32(clamp(kh, 0, k - 1) * k + clamp(kw, 0, k - 1));
  return select(0.0, weight[row + tap], kh >= 0 && kh < k && kw >= 0 && kw < k);
}

@compute @workgroup_size(LANES, 1, 1)
fn transposed_subpixel(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let QH = (dims.dstH + STRIDE - 1u) / STRIDE;
  let QW = (dims.dstW + STRIDE - 1u) / STRIDE;
  let columns = dims.B * QH * QW;
  var inside: vec4<bool>;
  var image: vec4<u32>;
  var qh: vec4<i32>;
  var qw: vec4<i32>;
  var image_base: vec4<u32>;
  for (var j = 0u; j < 4u; j++) {
    let column = wid.x * 4u * LANES + 4u * lane + j;
    inside[j] = column < columns;
    let c = min(column, columns - 1u);
    image[j] = c / (QH * QW);
    qh[j] = i32((c % (QH * QW)) / QW);
    qw[j] = i32(c % QW);
    image_base[j] = image[j] * dims.srcC * dims.srcH * dims.srcW;
  }
  let taps = KERNEL * KERNEL;
  let rows = STRIDE * STRIDE * dims.dstC;
  // This lane's row in each block: its channel's weight offset and its residue's rh + p, rw + p (a row past
  // the last reads the last row's; it is never stored).
  var weight_row: array<u32, MAX_GROUPS>;
  var kh_base: array<i32, MAX_GROUPS>;
  var kw_base: array<i32, MAX_GROUPS>;
  for (var g = 0u; g < MAX_GROUPS; g++) {
    let r = min(8u * g + lane, rows - 1u);
    let residue = r / dims.dstC;
    weight_row[g] = (r % dims.dstC) * taps;
    kh_base[g] = i32(residue / STRIDE + PADDING);
    kw_base[g] = i32(residue % STRIDE + PADDING);
  }
  let s = i32(STRIDE);
  var acc: array<array<vec4<f32>, 8>, MAX_GROUPS>;
  for (var i = 0u; i < dims.srcC; i++) {
    let channel = i * dims.srcH * dims.srcW;
    let weight_channel = i * dims.dstC * taps;
    for (var dh = D_LO; dh <= D_HI; dh++) {
      for (var dw = D_LO; dw <= D_HI; dw++) {
        let sh = s * dh;
        let sw = s * dw;
        var la: vec4<f32>;
        if (GROUPS > 0u) { la[0] = tap_weight(weight_channel + weight_row[0], kh_base[0] - sh, kw_base[0] - sw); }
        if (GROUPS > 1u) { la[1] = tap_weight(weight_channel + weight_row[1], kh_base[1] - sh, kw_base[1] - sw); }
        if (GROUPS > 2u) { la[2] = tap_weight(weight_channel + weight_row[2], kh_base[2] - sh, kw_base[2] - sw); }
        if (GROUPS > 3u) { la[3] = tap_weight(weight_channel + weight_row[3], kh_base[3] - sh, kw_base[3] - sw); }
        acc = accumulate_blocks(acc, la, src_quad(image_base, channel, qh + vec4(dh), qw + vec4(dw)));
      }
    }
  }
  let plane = dims.dstH * dims.dstW;
  for (var g = 0u; g < MAX_GROUPS; g++) {
    if (g >= GROUPS) { break; }
    for (var rr = 0u; rr < 8u; rr++) {
      let r = 8u * g + rr;
      if (r >= rows) { return; }
      let residue = r / dims.dstC;
      let o = r % dims.dstC;
      for (var j = 0u; j < 4u; j++) {
        let h = residue / STRIDE + STRIDE * u32(qh[j]);
        let w = residue % STRIDE + STRIDE * u32(qw[j]);
        if (!inside[j] || h >= dims.dstH || w >= dims.dstW) { continue; }
        let index = (image[j] * dims.dstC + o) * plane + h * dims.dstW + w;
        var v = acc[g][rr][j];
        if (EPILOGUE == EPILOGUE_BIAS_ACT) {
          v = activate(v + aux[o]);
        } else if (EPILOGUE == EPILOGUE_ACT_GRAD) {
          v = v * activation_derivative_from_output(aux[index]);
        }
        dst[index] = v;
      }
    }
  }
}
