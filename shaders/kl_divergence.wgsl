// kl_divergence.wgsl — analytic KL(q(z|x) ‖ N(0, I)) per datapoint (the paper's estimator B) and its
// gradient, fused: both need the same exp(log σ²).
//
//   kl[b] = ½ Σ_j ( μ² + σ² − 1 − log σ² )          with σ² = exp(log σ²), j < Z
//   dStats[b, j]     += scale · μ                   (∂(scale·KL)/∂μ)
//   dStats[b, Z + j] += scale · ½ (σ² − 1)           (∂(scale·KL)/∂log σ²)
// scale = β / B: the KL term of loss = −(1/B) Σ ELBO, with β = 1 for the plain bound.
// The gradient is ACCUMULATED into dStats, which reparameterize.wgsl's backward has written first.
//
// Bindings:
//   stats:  (B, 2Z) = [μ | log σ²]
//   kl:     (B), written
//   dStats: (B, 2Z), read and written (+=)
//   params: B, Z, scale
//
// One invocation per datapoint, looping over its Z latents (Z is small: 2–200).
// Dispatch: (ceil(B / WG), 1, 1) workgroups of (WG, 1, 1).

// WG has no default: it is KL_DIVERGENCE_WORKGROUP (src/kernels/kl_divergence.ts), passed when the pipeline is made.
override WG: u32;

struct Params { B: u32, Z: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> stats: array<f32>;
@group(0) @binding(1) var<storage, read_write> kl: array<f32>;
@group(0) @binding(2) var<storage, read_write> dStats: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= params.B) { return; }
  let row = b * 2u * params.Z;
  var sum = 0.0;
  for (var j = 0u; j < params.Z; j++) {
    let mu = stats[row + j];
    let logVar = stats[row + params.Z + j];
    let variance = exp(logVar);
    sum += mu * mu + variance - 1.0 - logVar;
    dStats[row + j] += params.scale * mu;
    dStats[row + params.Z + j] += params.scale * 0.5 * (variance - 1.0);
  }
  kl[b] = 0.5 * sum;
}
