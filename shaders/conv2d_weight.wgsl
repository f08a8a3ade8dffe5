// conv2d_weight.wgsl — the filter gradient of a 2-D convolution or transposed convolution over NCHW images.
//
// Both layers pair a spatially "small" tensor with a "large" one through the same taps: small pixel (sh, sw)
// meets large pixel (sh·s − p + kh, sw·s − p + kw). For nn.Conv2d small is dPre (the output's gradient) and
// large is x; for nn.ConvTranspose2d small is x and large is dPre. In both, PyTorch's weight has the small
// tensor's channels first, so one formula gives both filter gradients:
//   dWeight[a, c, kh, kw] = Σ_b Σ_{sh, sw} small[b, a, sh, sw] · large[b, c, sh·s − p + kh, sw·s − p + kw]
// with k = KERNEL, s = STRIDE, p = PADDING and large pixels outside the image read as 0.
//
// Bindings (NCHW):
//   small:   (B, smallC, smallH, smallW)
//   large:   (B, largeC, largeH, largeW)
//   dWeight: (smallC, largeC, k, k), written (never accumulated)
//   dims:    B, smallC, smallH, smallW, largeC, largeH, largeW
//
// One invocation computes one tap (kh, kw) of a block of BLOCK = 4 small channels × 4 large channels: four
// vec4 accumulators (one per small channel, a large channel per component), so each loaded value serves 4
// products. Channels past the tensors' read a clamped channel and are never stored. No divisibility assumed.
//
// Dispatch: flatGrid over ceil(smallC / 4) · ceil(largeC / 4) · k² invocations, workgroups of (WG, 1, 1);
// the flat index is (wid.y · num_workgroups.x + wid.x) · WG + lid, the tap varying fastest.

// All from the host (src/kernels/conv2d_weight.ts); none has a default.
override WG: u32;
override KERNEL: u32;
override STRIDE: u32;
override PADDING: u32;

struct Dims { B: u32, smallC: u32, smallH: u32, smallW: u32, largeC: u32, largeH: u32, largeW: u32 }

@group(0) @binding(0) var<storage, read> small: array<f32>;
@group(0) @binding(1) var<storage, read> large: array<f32>;
@group(0) @binding(2) var<storage, read_write> dWeight: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;

// Channels of each tensor per invocation (vec4 components): TS's CONV2D_BLOCK.
const BLOCK: u32 = 4u;

@compute @workgroup_size(WG, 1, 1)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let taps = KERNEL * KERNEL;
  let small_blocks = (dims.smallC + BLOCK - 1u) / BLOCK;
  let large_blocks = (dims.largeC + BLOCK - 1u) / BLOCK;
  var t = (wid.y * nwg.x + wid.x) * WG + lid;
  if (t >= small_blocks * large_blocks * taps) { return; }
  let tap = t % taps;
  t /= taps;
  let c0 = (t % large_blocks) * BLOCK;
  let a0 = (t / large_blocks) * BLOCK;
  let kh = tap / KERNEL;
  let kw = tap % KERNEL;

  let small_plane = dims.smallH * dims.smallW;
  let large_plane = dims.largeH * dims.largeW;
  // Offsets of the block's channel planes within one image; a channel past the tensor's reads the last one.
  var a_planes: vec4<u32>;
  var c_planes: vec4<u32>;
  for (var j = 0u; j < BLOCK; j++) {
    a_planes[j] = min(a0 + j, dims.smallC - 1u) * small_plane;
    c_planes[j] = min(c0 + j, dims.largeC - 1u) * large_plane;
  }
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var b = 0u; b < dims.B; b++) {
    let small_image = b * dims.smallC * small_plane;
    let large_image = b * dims.largeC * large_plane;
    for (var sh = 0u; sh < dims.smallH; sh++) {
      let lh = i32(sh * STRIDE + kh) - i32(PADDING);
      if (lh < 0 || lh >= i32(dims.largeH)) { continue; }
      for (var sw = 0u; sw < dims.smallW; sw++) {
        let lw = i32(sw * STRIDE + kw) - i32(PADDING);
        if (lw < 0 || lw >= i32(dims.largeW)) { continue; }
        let s = small_image + sh * dims.smallW + sw;
        let l = large_image + u32(lh) * dims.largeW + u32(lw);
        let lv = vec4<f32>(large[l + c_planes.x], large[l + c_planes.y], large[l + c_planes.z], large[l + c_planes.w]);
        acc0 += small[s + a_planes.x] * lv;
        acc1 += small[s + a_planes.y] * lv;
        acc2 += small[s + a_planes.z] * lv;
        acc3 += small[s + a_planes.w] * lv;
      }
    }
  }
  let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < BLOCK; i++) {
    let a = a0 + i;
    if (a >= dims.smallC) { break; }
    for (var j = 0u; j < BLOCK; j++) {
      let c = c0 + j;
      if (c >= dims.largeC) { break; }
      dWeight[(a * dims.largeC + c) * taps + tap] = accs[i][j];
    }
  }
}
