// mc_kl.wgsl — the Monte-Carlo KL of the paper's estimator A: log q(z|x) − log p(z) at the sampled z, and its
// gradient, split in two entry points because the gradient reaches the Gaussian statistics by two paths.
//
//   kl[b] = Σ_j ( ½ z² − ½ ε² − ½ log σ² )        (= log N(z; μ, σ²) − log N(z; 0, I), the −½ log 2π cancel)
//   through z:  dz[b, j]       += scale · z[b, j]          (forward; run BEFORE the reparameterisation backward,
//                                                          which carries dz on into μ and log σ²)
//   direct:     dStats[b, Z+j] += −½ · scale               (direct; run AFTER the reparameterisation backward,
//                                                          which writes dStats)
// scale = β / (B·L) as for the analytic KL (kl_divergence.wgsl, estimator B); with PER_ROW_SCALE each row b
// takes rowScale[b] instead (the IWAE objective weighs every sample by its normalised importance weight).
// value: kl[b] alone, for when the weights must be known before the gradient (iwae_weights.wgsl).
//
// Bindings:
//   z, eps: (B, Z)      the sample and its ε
//   stats:  (B, 2Z)     [μ | log σ²]
//   kl:     (B)         written by forward
//   dz:     (B, Z)      read and written (+=) by forward
//   dStats: (B, 2Z)     read and written (+=) by direct
//   rowScale: (B)       per-row scale, read when PER_ROW_SCALE (bind any read-only range of ≥ B floats otherwise)
//   params: B, Z, scale
//
// forward: one invocation per datapoint (loops over Z). direct: one invocation per element of (B, Z).
// Dispatch: (ceil(B / WG), 1, 1) for forward and value, (ceil(B·Z / WG), 1, 1) for direct; of (WG, 1, 1).

// WG has no default: it is MC_KL_WORKGROUP (src/kernels/mc_kl.ts), passed when the pipeline is made.
override WG: u32;
override PER_ROW_SCALE: bool = false;

struct Params { B: u32, Z: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read> eps: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> kl: array<f32>;
@group(0) @binding(4) var<storage, read_write> dz: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;
@group(0) @binding(6) var<storage, read_write> dStats: array<f32>;
@group(0) @binding(7) var<storage, read> rowScale: array<f32>;

fn scale_of(b: u32) -> f32 {
  if (PER_ROW_SCALE) { return rowScale[b]; }
  return params.scale;
}

fn kl_of(b: u32) -> f32 {
  var sum = 0.0;
  for (var j = 0u; j < params.Z; j++) {
    let i = b * params.Z + j;
    sum += 0.5 * (z[i] * z[i] - eps[i] * eps[i] - stats[b * 2u * params.Z + params.Z + j]);
  }
  return sum;
}

@compute @workgroup_size(WG, 1, 1)
fn value(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= params.B) { return; }
  kl[b] = kl_of(b);
}

@compute @workgroup_size(WG, 1, 1)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= params.B) { return; }
  let scale = scale_of(b);
  for (var j = 0u; j < params.Z; j++) {
    let i = b * params.Z + j;
    dz[i] += scale * z[i];
  }
  kl[b] = kl_of(b);
}

@compute @workgroup_size(WG, 1, 1)
fn direct(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.B * params.Z) { return; }
  let b = i / params.Z;
  let j = i % params.Z;
  dStats[b * 2u * params.Z + params.Z + j] += -0.5 * scale_of(b);
}
