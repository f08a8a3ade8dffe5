// sgd_update.wgsl — plain stochastic gradient descent over the flat parameter buffer, one dispatch.
//
//   g = grads[i] + weightDecay · params[i]      (weight decay = the N(0, I/λ) prior on θ: MAP, coupled L2)
//   params[i] −= lr · g
//
// Bindings:
//   params:  (⌈P/4⌉ vec4), read and written
//   grads:   (⌈P/4⌉ vec4) ∂loss/∂θ
//   hyper:   n (= P), lr, weightDecay
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

struct Hyper { n: u32, lr: f32, weightDecay: f32 }

@group(0) @binding(0) var<storage, read_write> params: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> grads: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> hyper: Hyper;
@group(0) @binding(3) var<storage, read_write> flags: array<atomic<u32>>;
@group(0) @binding(4) var<uniform> current: Current;

fn update(q: u32, p: vec4<f32>, g: vec4<f32>, keep: vec4<bool>) -> vec4<f32> {
  return p - hyper.lr * g;
}
