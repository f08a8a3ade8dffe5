// adagrad_update.wgsl — Adagrad (Duchi et al. 2011; the optimiser of Kingma & Welling's experiments) over
// the flat parameter buffer, one dispatch.
//
//   g = grads[i] + weightDecay · params[i]      (weight decay = the N(0, I/λ) prior on θ: MAP, coupled L2)
//   accum[i] += g²
//   params[i] −= lr · g / (√accum[i] + eps)
//
// Bindings:
//   params:  (⌈P/4⌉ vec4), read and written
//   grads:   (⌈P/4⌉ vec4) ∂loss/∂θ
//   accum:   (⌈P/4⌉ vec4) sum of squared gradients, read and written (starts at 0)
//   hyper:   n (= P), lr, eps, weightDecay
//   flags:   (SLOTS) u32, atomic: the non-finite flags (first_non_finite.wgsl)
//   current: step = t, the step this update belongs to
//
// One invocation per quad of 4 parameters, loaded and stored as vec4 (on lavapipe every storage access pays a
// per-lane bounds check, so one vec4 access costs about what one f32 access does). The buffers hold
// ⌈P/4⌉·4 floats (ParameterLayout pads every tensor to 64 floats); in the last quad the elements at P and past
// it are written back unchanged, so a P that is not a multiple of 4 is still exact.
// The update also checks what it wrote: if an updated parameter is NaN or ±Inf, flags[NON_FINITE_SLOT] is
// lowered to current.step (first_non_finite.wgsl's rule, on the exponent bits), which saves a second pass
// over the P parameters per step.
//
// Dispatch: a 2-D grid (x, y, 1) of (WG, 1, 1) workgroups with x·y·WG ≥ ⌈P/4⌉ (x ≤ 65535, see flatGrid in
// src/kernels/kernel.ts); flat quad index q = (wid.y · x + wid.x) · WG + lid.

// WG has no default: it is OPTIMIZER_WORKGROUP (src/kernels/optimizer.ts), passed when the pipeline is made.
override WG: u32;

// NON_FINITE_SLOT, Current, inRange and checkFinite.
// #include "lib/optimizer_common.wgsl"

struct Hyper { n: u32, lr: f32, eps: f32, weightDecay: f32 }

@group(0) @binding(0) var<storage, read_write> params: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> grads: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> accum: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> hyper: Hyper;
@group(0) @binding(4) var<storage, read_write> flags: array<atomic<u32>>;
@group(0) @binding(5) var<uniform> current: Current;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let q = (wid.y * groups.x + wid.x) * WG + lid;
  if (4u * q >= hyper.n) { return; }
  let keep = inRange(q, hyper.n);
  let p = params[q];
  let h0 = accum[q];
  let g = grads[q] + hyper.weightDecay * p;
  let h = h0 + g * g;
  let updated = p - hyper.lr * g / (sqrt(h) + hyper.eps);
  accum[q] = select(h0, h, keep);
  params[q] = select(p, updated, keep);
  checkFinite(updated, keep);
}
