// adam_update.wgsl — Adam (Kingma & Ba 2015) in PyTorch's form, over the flat parameter buffer, one dispatch.
//
//   g = grads[i] + weightDecay · params[i]      (coupled L2 = the N(0, I/λ) prior on θ; not AdamW)
//   m[i] = β1 m[i] + (1 − β1) g
//   v[i] = β2 v[i] + (1 − β2) g²
// 1 − β1 and 1 − β2 arrive precomputed in float64: f32(0.999) is off by 1.3e-8, so 1 − β2 computed in float32
// would be off by 1.3e-5 relative.
//   params[i] −= stepSize · m[i] / (√v[i] / sqrtBiasCorrection2 + eps)
// with stepSize = lr / (1 − β1ᵗ) and sqrtBiasCorrection2 = √(1 − β2ᵗ) for step t ≥ 1, computed on the CPU
// in float64 each step (src/kernels/adam_update.ts) because they depend only on t.
//
// Bindings:
//   params:  (⌈P/4⌉ vec4), read and written
//   grads:   (⌈P/4⌉ vec4) ∂loss/∂θ
//   m, v:    (⌈P/4⌉ vec4) first and second moment estimates, read and written (start at 0)
//   hyper:   n (= P), β1, β2, 1 − β1, 1 − β2, eps, weightDecay, stepSize, sqrtBiasCorrection2
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

struct Hyper {
  n: u32,
  beta1: f32,
  beta2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  eps: f32,
  weightDecay: f32,
  stepSize: f32,
  sqrtBiasCorrection2: f32,
}

@group(0) @binding(0) var<storage, read_write> params: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> grads: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> m: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> v: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> hyper: Hyper;
@group(0) @binding(5) var<storage, read_write> flags: array<atomic<u32>>;
@group(0) @binding(6) var<uniform> current: Current;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let q = (wid.y * groups.x + wid.x) * WG + lid;
  if (4u * q >= hyper.n) { return; }
  let keep = inRange(q, hyper.n);
  let p = params[q];
  let m0 = m[q];
  let v0 = v[q];
  let g = grads[q] + hyper.weightDecay * p;
  let mi = hyper.beta1 * m0 + hyper.oneMinusBeta1 * g;
  let vi = hyper.beta2 * v0 + hyper.oneMinusBeta2 * g * g;
  let updated = p - hyper.stepSize * mi / (sqrt(vi) / hyper.sqrtBiasCorrection2 + hyper.eps);
  m[q] = select(m0, mi, keep);
  v[q] = select(v0, vi, keep);
  params[q] = select(p, updated, keep);
  checkFinite(updated, keep);
}
