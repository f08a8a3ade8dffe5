// step_input.wgsl — a minibatch of bytes becomes the input x of its step, on the GPU: scaled, dynamically
// binarized or dequantized, and each row written L times (L samples per datapoint), bit for bit what the CPU
// makes of it (src/stream/minibatch.ts Batcher, then src/stream/step_input.ts StepInput.prepare, then the
// row repeat of src/gpu/upload_ring.ts):
//
//   k = byte e of the minibatch, e < n = B·D, in row b = ⌊e / D⌋, column d = e mod D
//   r = word (e mod 4) of Philox4x32-10(counter = (⌊e / 4⌋, step, stream, 0), key = (seedLo, seedHi))
//   u = ((r >> 9) + ½) · 2⁻²³                                  (lib/philox.wgsl to_open_unit: exact in f32)
//   values:      v = levels[k]                                 levels[k] = float32(k · (1/255)), the CPU's
//   binarized:   v = 1 if u < levels[k], else 0                  scaling, handed in (k/255 in f32 may differ
//   dequantized: v = (k + u) / 256, rounded once to float32       from it by an ulp)
//   x[(b·L + l)·D + d] = v         for l < L
//
// Bit-exactness: u and levels[k] are float32 values both sides share, so the comparison is exact.
// (k + u) / 256 = N · 2⁻³² with N = k·2²⁴ + 2·(r >> 9) + 1 < 2³², an exact u32; N is rounded to 24 bits by
// hand (to nearest, ties to even: the CPU's double → float32 store), since WGSL leaves the rounding of
// f32(u32) to the implementation, and the scaling by 2⁻³² is exact (no subnormals: N ≥ 1).
//
// Bindings:
//   bytes:   (⌈n / 4⌉) u32: the minibatch's B·D bytes, row-major, byte e in bits 8·(e mod 4) … of word ⌊e / 4⌋
//            (a Uint8Array's bytes as they land in a buffer); the bytes of the last word past n are ignored
//   levels:  (256) f32, levels[k] = Math.fround(k · (1/255))
//   x:       (B·L, D) row-major, written
//   params:  n = B·D, D, L, stream (Philox stream id), seedLo, seedHi (the run's seed)
//   current: step (the Philox counter: the number of the step this input is for)
// Overrides: WG; BINARIZE, DEQUANTIZE (at most one true; neither: values).
//
// One invocation per word of bytes: its 4 elements, one Philox block, each element's value written L times.
// Dispatch: a 2-D grid (gx, gy, 1) of (WG, 1, 1) workgroups with gx·gy·WG ≥ ⌈n / 4⌉ (src/kernels/kernel.ts
// flatGrid); word index w = (wid.y · gx + wid.x) · WG + lid. Any n ≥ 1 (the tail word is masked); the
// wrapper keeps B·L·D ≤ 2³⁰, so every index formed here fits a u32.

// WG has no default: it is STEP_INPUT_WORKGROUP (src/kernels/step_input.ts), passed when the pipeline is made;
// BINARIZE and DEQUANTIZE come from the kind of input the wrapper is asked for.
override WG: u32;
override BINARIZE: bool;
override DEQUANTIZE: bool;

struct Params { n: u32, D: u32, L: u32, stream: u32, seedLo: u32, seedHi: u32 }
struct Current { step: u32 }

@group(0) @binding(0) var<storage, read> bytes: array<u32>;
@group(0) @binding(1) var<storage, read> levels: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<uniform> current: Current;

// #include "lib/philox.wgsl"

// (k + u) / 256 in float32, rounded once, from the byte k and the Philox word r (see the header).
fn dequantized(k: u32, r: u32) -> f32 {
  let numerator = (k << 24u) | ((r >> 9u) << 1u) | 1u;  // k·2²⁴ + 2·(r >> 9) + 1: the two parts share no bit
  let top = firstLeadingBit(numerator);                  // numerator ≥ 1
  if (top < 24u) { return ldexp(f32(numerator), -32); }  // 24 bits or fewer: exact
  let shift = top - 23u;                                 // 1 … 8 bits to drop
  let kept = numerator >> shift;
  let dropped = numerator & ((1u << shift) - 1u);
  let half = 1u << (shift - 1u);
  let up = dropped > half || (dropped == half && (kept & 1u) == 1u);
  return ldexp(f32(kept + select(0u, 1u, up)), i32(shift) - 32);  // kept + 1 ≤ 2²⁴: exact
}

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let w = (wid.y * groups.x + wid.x) * WG + lid;
  if (w > (params.n - 1u) / 4u) { return; }
  let word = bytes[w];
  var r = vec4<u32>(0u);
  if (BINARIZE || DEQUANTIZE) {
    r = philox4x32_10(vec4<u32>(w, current.step, params.stream, 0u), vec2<u32>(params.seedLo, params.seedHi));
  }
  for (var t = 0u; t < 4u; t++) {
    let e = 4u * w + t;
    if (e >= params.n) { break; }
    let k = (word >> (8u * t)) & 0xFFu;
    var v = levels[k];
    if (BINARIZE) { v = select(0.0, 1.0, to_open_unit(r[t]) < v); }
    if (DEQUANTIZE) { v = dequantized(k, r[t]); }
    let b = e / params.D;
    let d = e - b * params.D;
    for (var l = 0u; l < params.L; l++) {
      x[(b * params.L + l) * params.D + d] = v;
    }
  }
}
