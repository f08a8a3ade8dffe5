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
// One invocation per quad of 4 parameters, as vec4. The buffers hold ⌈P/4⌉·4 floats (ParameterLayout pads every
// tensor to 64 floats); in the last quad the elements at P and past it are written back unchanged, so a P that is
// not a multiple of 4 is still exact. The entry point, which also flags a non-finite update, and the dispatch
// grid are lib/optimizer_common.wgsl's: x·y·WG ≥ ⌈P/4⌉ invocations in (WG, 1, 1) workgroups.

// The entry point main (the quad, its padding mask, weight decay, the masked store and the non-finite flag),
// with the overrides WG and NON_FINITE_SLOT and the struct Current; this file adds the rule, update().
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

fn update(q: u32, p: vec4<f32>, g: vec4<f32>, keep: vec4<bool>) -> vec4<f32> {
  let m0 = m[q];
  let v0 = v[q];
  let mi = hyper.beta1 * m0 + hyper.oneMinusBeta1 * g;
  let vi = hyper.beta2 * v0 + hyper.oneMinusBeta2 * g * g;
  m[q] = select(m0, mi, keep);
  v[q] = select(v0, vi, keep);
  return p - hyper.stepSize * mi / (sqrt(vi) / hyper.sqrtBiasCorrection2 + hyper.eps);
}
