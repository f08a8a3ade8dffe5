// bernoulli_likelihood.wgsl — log p(x | z) of a Bernoulli decoder from its logits, and the gradient w.r.t.
// the logits, fused in one pass over the (B, D) logits.
//
//   logp[b]      = Σ_d  x[b,d]·l[b,d] − softplus(l[b,d])      softplus(l) = max(l,0) + log(1 + exp(−|l|))
//   dLogits[b,d] = scale · (sigmoid(l[b,d]) − x[b,d])          = ∂(−scale · Σ_b logp[b]) / ∂l[b,d]
// scale = 1/B for loss = −(1/B) Σ ELBO. Computed from logits throughout: log(sigmoid(l)) would underflow.
// x may be any value in [0, 1] (binarized pixels or grey levels).
//
// Bindings:
//   logits:  (B, D) decoder output
//   x:       (B, D) data
//   logp:    (B), written
//   dLogits: (B, D), written
//   params:  B, D, scale
//
// One workgroup per datapoint b: its WG invocations stride over the D pixels, then reduce their partial sums
// in workgroup memory. Dispatch: (B, 1, 1) workgroups of (WG, 1, 1); WG must be a power of two.

// WG has no default: it is BERNOULLI_LIKELIHOOD_WORKGROUP (src/kernels/bernoulli_likelihood.ts), passed when the pipeline is made.
override WG: u32;

alias Real = f32;  // lib/activations.wgsl on scalars
// #include "lib/activations.wgsl"
// #include "lib/workgroup_sum.wgsl"

struct Params { B: u32, D: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> logp: array<f32>;
@group(0) @binding(3) var<storage, read_write> dLogits: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;  // uniform across the workgroup, so the early return below keeps barriers uniform
  if (b >= params.B) { return; }
  let row = b * params.D;
  var sum = 0.0;
  for (var d = lid; d < params.D; d += WG) {
    let l = logits[row + d];
    let xv = x[row + d];
    sum += xv * l - softplus(l);
    dLogits[row + d] = params.scale * (sigmoid(l) - xv);
  }
  let total = workgroup_sum(lid, sum);
  if (lid == 0u) { logp[b] = total; }
}
