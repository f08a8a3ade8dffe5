// gaussian_likelihood.wgsl — the shared-variance Gaussian decoder ('gaussian-shared-variance'; the paper's own
// Gaussian decoder, whose variance depends on z, is gaussian_mlp_likelihood.wgsl): the mean is sigmoid(logit)
// in (0, 1), and every output d has a learned log-variance v_d (a parameter, the same for every z), floored.
// log p(x | z) per datapoint and the gradients of the loss, fused in one pass.
//
//   m = sigmoid(l),  s_d = max(v_d, F),  r = x − m          F = minLogVar, the floor on log σ²
//   logp[b]          = Σ_d −½ ( log 2π + s_d + r² e^{−s_d} )
//   dLogits[b, d]    = scale · ( −r e^{−s_d} · m (1 − m) )      = ∂(−scale · Σ_b logp[b]) / ∂l[b, d]
//   dLogVar[b, d]    = scale · ½ ( 1 − r² e^{−s_d} ) where v_d > F, else 0
//                                                              = ∂(−scale · logp[b]) / ∂v_d, per datapoint;
//                                                                column_sum.wgsl sums it over b into ∂loss/∂v
// scale = 1/B for loss = −(1/B) Σ ELBO.
//
// Bindings:
//   logits:  (B, D) decoder output
//   x:       (B, D) data, real values (in [0, 1] for the sigmoid mean to reach them)
//   logVar:  (D)    the learned log-variances s (a slice of the parameter buffer)
//   logp:    (B), written
//   dLogits: (B, D), written
//   dLogVar: (B, D), written
//   params:  B, D, scale, minLogVar
//
// One workgroup per datapoint, WG invocations striding over D, then a tree reduction in workgroup memory.
// Dispatch: (B, 1, 1) workgroups of (WG, 1, 1); WG must be a power of two.

// WG has no default: it is GAUSSIAN_LIKELIHOOD_WORKGROUP (src/kernels/gaussian_likelihood.ts), passed when the pipeline is made.
override WG: u32;

alias Real = f32;  // lib/activations.wgsl on scalars
// #include "lib/activations.wgsl"
// #include "lib/workgroup_sum.wgsl"
// #include "lib/gaussian_log_density.wgsl"

struct Params { B: u32, D: u32, scale: f32, minLogVar: f32 }

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> logVar: array<f32>;
@group(0) @binding(3) var<storage, read_write> logp: array<f32>;
@group(0) @binding(4) var<storage, read_write> dLogits: array<f32>;
@group(0) @binding(5) var<storage, read_write> dLogVar: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  if (b >= params.B) { return; }
  let row = b * params.D;
  var sum = 0.0;
  for (var d = lid; d < params.D; d += WG) {
    let m = sigmoid(logits[row + d]);
    let g = gaussian_term(x[row + d], m, logVar[d], params.minLogVar, params.scale);
    sum += g.logp;
    dLogits[row + d] = params.scale * (-g.precisionResidual * m * (1.0 - m));
    dLogVar[row + d] = g.dLogVar;
  }
  let total = workgroup_sum(lid, sum);
  if (lid == 0u) { logp[b] = total; }
}
