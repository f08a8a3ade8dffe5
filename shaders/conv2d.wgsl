// conv2d.wgsl — the two directions of a 2-D convolution over NCHW images, with the matmul's fused epilogues.
// A convolution's input gradient is a transposed convolution and vice versa, so these two entry points serve
// four passes (src/kernels/conv2d.ts):
//   correlate   conv2d forward (src = x) and conv_transpose2d backward input (src = dPre)
//   transposed  conv_transpose2d forward (src = x) and conv2d backward input (src = dPre)
//
// Computes, with k = KERNEL, s = STRIDE, p = PADDING, pixels outside src read as 0:
//   correlate   dst[b, o, h, w] = epi( Σ_{i, kh, kw} weight[o, i, kh, kw] · src[b, i, h·s − p + kh, w·s − p + kw] )
//   transposed  dst[b, o, h, w] = epi( Σ_{i, kh, kw : h = ih·s − p + kh, w = iw·s − p + kw}
//                                        weight[i, o, kh, kw] · src[b, i, ih, iw] )
// where epi is the matmul's epilogue (lib/matmul_epilogue.wgsl):
//   EPILOGUE_NONE      epi(v) = v
//   EPILOGUE_BIAS_ACT  epi(v) = act(v + aux[o]),         aux = bias (dstC)
//   EPILOGUE_ACT_GRAD  epi(v) = v · act'(aux[b, o, h, w]), aux = the activation's output, shaped as dst
//
// Bindings (NCHW: a row of the batch is channel-major, then row-major within a channel's plane):
//   src:    (B, srcC, srcH, srcW)
//   weight: correlate (dstC, srcC, k, k), transposed (srcC, dstC, k, k) — PyTorch's layouts of nn.Conv2d and
//           nn.ConvTranspose2d, and in both the summed channel of the conv's backward is the first axis
//   aux:    see the epilogue; any 4 bytes with EPILOGUE_NONE
//   dst:    (B, dstC, dstH, dstW), written (never accumulated)
//   dims:   B, srcC, srcH, srcW, dstC, dstH, dstW
//
// One invocation computes a block of BLOCK = 4 output channels × 4 output pixels of one row of one image,
// as four vec4 accumulators (one per pixel, a channel per component): each src value it loads serves 4
// channels, each weight 4 pixels. correlate's pixels are adjacent columns w0 .. w0+3. transposed's are
// columns of one residue r = w mod s, w = r + s·(4q + j): they take the same taps kw ≡ r + p (mod s), and
// those taps read the adjacent src columns iw0 + j, so no tap is tried and discarded per pixel; the rows
// likewise take only kh ≡ h + p (mod s).
// Channels past dstC read a clamped weight row and pixels outside src read 0 (select, never an out-of-range
// index); only in-range outputs are stored. No divisibility assumed.
//
// Dispatch: flatGrid over the invocations (src/kernels/kernel.ts), workgroups of (WG, 1, 1):
//   correlate   B · ceil(dstC / 4) · dstH · ceil(dstW / 4)
//   transposed  B · ceil(dstC / 4) · dstH · s · ceil(ceil(dstW / s) / 4)
// the flat index is (wid.y · num_workgroups.x + wid.x) · WG + lid, its last factor varying fastest.

alias Real = f32;
// #include "lib/matmul_epilogue.wgsl"

// All from the host (src/kernels/conv2d.ts); none has a default.
override WG: u32;
override KERNEL: u32;
override STRIDE: u32;
override PADDING: u32;

struct Dims { B: u32, srcC: u32, srcH: u32, srcW: u32, dstC: u32, dstH: u32, dstW: u32 }

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> aux: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<uniform> dims: Dims;
// weight as vec4s: read by conv2d_lanes.wgsl's correlate only (the interface is shared).
@group(0) @binding(5) var<storage, read> weight4: array<vec4<f32>>;

// Output channels (vec4 components) and pixels per invocation: TS's CONV2D_BLOCK.
const BLOCK: u32 = 4u;

fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

// src[b, c, h, w] or 0 outside the image (h, w as i32: a tap may fall into the padding on either side).
fn src_at(plane: u32, h: i32, w: i32) -> f32 {
  let inside = h >= 0 && h < i32(dims.srcH) && w >= 0 && w < i32(dims.srcW);
  let index = plane + u32(clamp(h, 0, i32(dims.srcH) - 1)) * dims.srcW + u32(clamp(w, 0, i32(dims.srcW) - 1));
  return select(0.0, src[index], inside);
}

// Applies the epilogue to pixel j's accumulator and stores the channels and pixel that lie inside dst.
fn store_pixel(b: u32, o0: u32, h: u32, w: u32, acc: vec4<f32>) {
  if (w >= dims.dstW) { return; }
  let plane = dims.dstH * dims.dstW;
  for (var c = 0u; c < BLOCK; c++) {
    let o = o0 + c;
    if (o >= dims.dstC) { return; }
    let index = (b * dims.dstC + o) * plane + h * dims.dstW + w;
    var v = acc[c];
    if (EPILOGUE == EPILOGUE_BIAS_ACT) {
      v = activate(v + aux[o]);
    } else if (EPILOGUE == EPILOGUE_ACT_GRAD) {
      v = v * activation_derivative_from_output(aux[index]);
    }
    dst[index] = v;
  }
}

@compute @workgroup_size(WG, 1, 1)
fn correlate(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let column_blocks = (dims.dstW + BLOCK - 1u) / BLOCK;
  let channel_blocks = (dims.dstC + BLOCK - 1u) / BLOCK;
  var t = flat_index(wid, nwg, lid);
  if (t >= dims.B * channel_blocks * dims.dstH * column_blocks) { return; }
  let w0 = (t % column_blocks) * BLOCK;
  t /= column_blocks;
  let h = t % dims.dstH;
  t /= dims.dstH;
  let o0 = (t % channel_blocks) * BLOCK;
  let b = t / channel_blocks;

  let taps = KERNEL * KERNEL;
  // Weight rows of the block's channels; a channel past dstC reads the last row (its result is never stored).
  var rows: vec4<u32>;
  for (var c = 0u; c < BLOCK; c++) { rows[c] = min(o0 + c, dims.dstC - 1u) * dims.srcC * taps; }
  let h_in = i32(h * STRIDE) - i32(PADDING);
  let w_in = i32(w0 * STRIDE) - i32(PADDING);
  let s = i32(STRIDE);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var i = 0u; i < dims.srcC; i++) {
    let plane = (b * dims.srcC + i) * dims.srcH * dims.srcW;
    for (var kh = 0u; kh < KERNEL; kh++) {
      let row = h_in + i32(kh);
      if (row < 0 || row >= i32(dims.srcH)) { continue; }
      for (var kw = 0u; kw < KERNEL; kw++) {
        let tap = i * taps + kh * KERNEL + kw;
        let wv = vec4<f32>(weight[rows.x + tap], weight[rows.y + tap], weight[rows.z + tap], weight[rows.w + tap]);
        let col = w_in + i32(kw);
        acc0 += src_at(plane, row, col) * wv;
        acc1 += src_at(plane, row, col + s) * wv;
        acc2 += src_at(plane, row, col + 2 * s) * wv;
        acc3 += src_at(plane, row, col + 3 * s) * wv;
      }
    }
  }
  store_pixel(b, o0, h, w0, acc0);
  store_pixel(b, o0, h, w0 + 1u, acc1);
  store_pixel(b, o0, h, w0 + 2u, acc2);
  store_pixel(b, o0, h, w0 + 3u, acc3);
}

@compute @workgroup_size(WG, 1, 1)
fn transposed(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  // Columns of one residue r: r, r + s, r + 2s, …; ceil(dstW / s) of them at most, in blocks of 4.
  let residue_columns = (dims.dstW + STRIDE - 1u) / STRIDE;
  let column_blocks = (residue_columns + BLOCK - 1u) / BLOCK;
  let channel_blocks = (dims.dstC + BLOCK - 1u) / BLOCK;
  var t = flat_index(wid, nwg, lid);
  if (t >= dims.B * channel_blocks * dims.dstH * STRIDE * column_blocks) { return; }
  let q = t % column_blocks;
  t /= column_blocks;
  let r = t % STRIDE;
  t /= STRIDE;
  let h = t % dims.dstH;
  t /= dims.dstH;
  let o0 = (t % channel_blocks) * BLOCK;
  let b = t / channel_blocks;

  let taps = KERNEL * KERNEL;
  // weight[i, o, kh, kw]: the block's channels are 4 consecutive rows of k·k within input channel i's block.
  var rows: vec4<u32>;
  for (var c = 0u; c < BLOCK; c++) { rows[c] = min(o0 + c, dims.dstC - 1u) * taps; }
  let s = i32(STRIDE);
  // The first taps that reach this row and these columns: kh ≡ h + p, kw ≡ r + p (mod s).
  let kh0 = (h + PADDING) % STRIDE;
  let kw0 = (r + PADDING) % STRIDE;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var i = 0u; i < dims.srcC; i++) {
    let plane = (b * dims.srcC + i) * dims.srcH * dims.srcW;
    let channel = i * dims.dstC * taps;
    for (var kh = kh0; kh < KERNEL; kh += STRIDE) {
      // Exact divisions: h + p − kh is a multiple of s by the choice of kh.
      let ih = (i32(h + PADDING) - i32(kh)) / s;
      if (ih < 0 || ih >= i32(dims.srcH)) { continue; }
      for (var kw = kw0; kw < KERNEL; kw += STRIDE) {
        // Pixel j = column r + s·(4q + j) reads src column (r + p − kw) / s + 4q + j.
        let iw = (i32(r + PADDING) - i32(kw)) / s + i32(q * BLOCK);
        let tap = channel + kh * KERNEL + kw;
        let wv = vec4<f32>(weight[rows.x + tap], weight[rows.y + tap], weight[rows.z + tap], weight[rows.w + tap]);
        acc0 += src_at(plane, ih, iw) * wv;
        acc1 += src_at(plane, ih, iw + 1) * wv;
        acc2 += src_at(plane, ih, iw + 2) * wv;
        acc3 += src_at(plane, ih, iw + 3) * wv;
      }
    }
  }
  let w0 = r + STRIDE * q * BLOCK;
  store_pixel(b, o0, h, w0, acc0);
  store_pixel(b, o0, h, w0 + STRIDE, acc1);
  store_pixel(b, o0, h, w0 + 2u * STRIDE, acc2);
  store_pixel(b, o0, h, w0 + 3u * STRIDE, acc3);
}
