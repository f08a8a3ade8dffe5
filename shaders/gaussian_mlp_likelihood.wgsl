// gaussian_mlp_likelihood.wgsl — the paper's Gaussian MLP decoder (Kingma & Welling, appendix C.2): the last
// decoder layer has 2D outputs per datapoint, the mean's logits l and the raw log-variances t, so both the
// mean and the variance depend on z:  μ = sigmoid(W₄h + b₄),  log σ² = W₅h + b₅  (floored below).
// log p(x | z) per datapoint and the gradients of the loss w.r.t. both halves, fused in one pass.
//
//   m = sigmoid(l),  s = max(t, F),  r = x − m            F = minLogVar, the floor on log σ²
//   logp[b]         = Σ_d −½ ( log 2π + s + r² e^{−s} )
//   dOut[b, d]      = scale · ( −r e^{−s} · m (1 − m) )            = ∂(−scale · Σ_b logp[b]) / ∂l[b, d]
//   dOut[b, D + d]  = scale · ½ ( 1 − r² e^{−s} )  where t > F,
//                     0                             where t ≤ F    = ∂(−scale · Σ_b logp[b]) / ∂t[b, d]
// scale = 1/B for loss = −(1/B) Σ ELBO. The floor keeps the bound finite when a pixel is constant (σ² → 0
// would make it +∞) and e^{−s} inside float32.
// With SIGMOID_MEAN = false the mean is l itself (m = l, dOut[b, d] = scale · (−r e^{−s})): the log-density
// of x under N(l, e^s) for rows [l | t] such as the encoder's [μ | log σ²] — the sleep phase of wake-sleep
// fits q(z|x) by it, with x the dreamed z and D = Z.
//
// Bindings:
//   out:   (B, 2D) decoder output, row b = [l_0 … l_{D−1} | t_0 … t_{D−1}]
//   x:     (B, D) data, real values (in [0, 1] for the sigmoid mean to reach them)
//   logp:  (B), written
//   dOut:  (B, 2D), written, laid out as `out`
//   params: B, D, scale, minLogVar
//
// One workgroup per datapoint, WG invocations striding over D, then a tree reduction in workgroup memory.
// Dispatch: (B, 1, 1) workgroups of (WG, 1, 1); WG must be a power of two.

// WG has no default: it is GAUSSIAN_MLP_LIKELIHOOD_WORKGROUP (src/kernels/gaussian_mlp_likelihood.ts), passed when the pipeline is made.
override WG: u32;
override SIGMOID_MEAN: bool = true;

alias Real = f32;  // lib/activations.wgsl on scalars
// #include "lib/activations.wgsl"
// #include "lib/workgroup_sum.wgsl"
// #include "lib/gaussian_log_density.wgsl"

struct Params { B: u32, D: u32, scale: f32, minLogVar: f32 }

@group(0) @binding(0) var<storage, read> out: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> logp: array<f32>;
@group(0) @binding(3) var<storage, read_write> dOut: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  if (b >= params.B) { return; }
  let D = params.D;
  let row = b * 2u * D;
  var sum = 0.0;
  for (var d = lid; d < D; d += WG) {
    let l = out[row + d];
    let m = select(l, sigmoid(l), SIGMOID_MEAN);
    let dMean = select(1.0, m * (1.0 - m), SIGMOID_MEAN); // ∂m/∂l
    let g = gaussian_term(x[b * D + d], m, out[row + D + d], params.minLogVar, params.scale);
    sum += g.logp;
    dOut[row + d] = params.scale * (-g.precisionResidual * dMean);
    dOut[row + D + d] = g.dLogVar;
  }
  let total = workgroup_sum(lid, sum);
  if (lid == 0u) { logp[b] = total; }
}
