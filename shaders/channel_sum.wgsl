// channel_sum.wgsl — per-channel sums of a batch of NCHW images: a convolution's bias gradient.
//
// Computes   out[c] = Σ_b Σ_{q < size} a[b, c, q]        for c < channels
//
// Bindings:
//   a:    (B, channels, size), size = H·W the pixels of one channel's plane
//   out:  (channels), written (never accumulated)
//   dims: B, channels, size
//
// One workgroup owns one channel: its WG invocations walk the channel's B·size values with stride WG (each
// image's plane read contiguously by the workgroup), then lib/workgroup_sum.wgsl adds their partial sums in a
// fixed order. A channel holds up to 100 · 784 values in the peer's model, too many for one invocation alone.
// Dispatch: (channels, 1, 1) workgroups of (WG, 1, 1); WG a power of two. No divisibility assumed.

// WG has no default: it is CHANNEL_SUM_WORKGROUP (src/kernels/channel_sum.ts), passed when the pipeline is made.
override WG: u32;

// #include "lib/workgroup_sum.wgsl"

struct Dims { B: u32, channels: u32, size: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> dims: Dims;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  var sum = 0.0;
  for (var b = 0u; b < dims.B; b++) {
    let plane = (b * dims.channels + c) * dims.size;
    for (var q = lid; q < dims.size; q += WG) {
      sum += a[plane + q];
    }
  }
  // Every invocation reaches the barriers; the grid has exactly `channels` workgroups, so c is in range.
  let total = workgroup_sum(lid, sum);
  if (lid == 0u) { out[c] = total; }
}
