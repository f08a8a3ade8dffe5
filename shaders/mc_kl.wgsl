// mc_kl.wgsl — the Monte-Carlo KL of the paper's estimator A: log q(z|x) − log p(z) at the sampled z, and its
// gradient, split in two entry points because the gradient reaches the Gaussian statistics by two paths.
//
//   kl[b] = Σ_j ( ½ z² − ½ ε² − ½ log σ² )        (= log N(z; μ, σ²) − log N(z; 0, I), the −½ log 2π cancel)
//   through z:  dz[b, j]       += scale · z[b, j]          (forward; run BEFORE the reparameterisation backward,
//                                                          which carries dz on into μ and log σ²)
//   direct:     dStats[b, Z+j] += −½ · scale               (direct; run AFTER the reparameterisation backward,
//                                                          which writes dStats)
// scale = β / (B·L) as for the analytic KL (kl_divergence.wgsl, estimator B).
//
// Bindings:
//   z, eps: (B, Z)      the sample and its ε
//   stats:  (B, 2Z)     [μ | log σ²]
//   kl:     (B)         written by forward
//   dz:     (B, Z)      read and written (+=) by forward
//   dStats: (B, 2Z)     read and written (+=) by direct
//   params: B, Z, scale
//
// forward: one invocation per datapoint (loops over Z). direct: one invocation per element of (B, Z).
// Dispatch: (ceil(B / WG), 1, 1) for forward, (ceil(B·Z / WG), 1, 1) for direct; workgroups of (WG, 1, 1).

override WG: u32 = 64u;

struct Params { B: u32, Z: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read> eps: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> kl: array<f32>;
@group(0) @binding(4) var<storage, read_write> dz: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;
@group(0) @binding(6) var<storage, read_write> dStats: array<f32>;

@compute @workgroup_size(WG, 1, 1)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= params.B) { return; }
  var sum = 0.0;
  for (var j = 0u; j < params.Z; j++) {
    let i = b * params.Z + j;
    let zi = z[i];
    let ei = eps[i];
    sum += 0.5 * (zi * zi - ei * ei - stats[b * 2u * params.Z + params.Z + j]);
    dz[i] += params.scale * zi;
  }
  kl[b] = sum;
}

@compute @workgroup_size(WG, 1, 1)
fn direct(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.B * params.Z) { return; }
  let b = i / params.Z;
  let j = i % params.Z;
  dStats[b * 2u * params.Z + params.Z + j] += -0.5 * params.scale;
}
