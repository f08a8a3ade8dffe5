// reparameterize.wgsl — the reparameterisation trick z = μ + σ ⊙ ε and its backward.
//
// forward:   z[b, j] = μ[b, j] + exp(½ log σ²[b, j]) · ε[b, j]
// backward:  dStats[b, j]     = dz[b, j]                                  (∂loss/∂μ)
//            dStats[b, Z + j] = dz[b, j] · ε[b, j] · ½ exp(½ log σ²[b, j]) (∂loss/∂log σ²)
//            backward WRITES dStats; the KL kernel then adds its own gradient (kl_divergence.wgsl).
//
// Bindings:
//   stats:  (B, 2Z) = [μ | log σ²]
//   eps:    (B, Z) standard normals (philox_normal.wgsl)
//   z:      (B, Z), written by forward
//   dz:     (B, Z) ∂loss/∂z, read by backward
//   dStats: (B, 2Z), written by backward
//   dims:   B, Z
//
// One invocation per element of (B, Z). Dispatch: (ceil(B·Z / WG), 1, 1) workgroups of (WG, 1, 1).

// WG has no default: it is REPARAMETERIZE_WORKGROUP (src/kernels/reparameterize.ts), passed when the pipeline is made.
override WG: u32;

struct Dims { B: u32, Z: u32 }

@group(0) @binding(0) var<storage, read> stats: array<f32>;
@group(0) @binding(1) var<storage, read> eps: array<f32>;
@group(0) @binding(2) var<uniform> dims: Dims;
@group(0) @binding(3) var<storage, read_write> z: array<f32>;
@group(0) @binding(4) var<storage, read> dz: array<f32>;
@group(0) @binding(5) var<storage, read_write> dStats: array<f32>;

@compute @workgroup_size(WG, 1, 1)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= dims.B * dims.Z) { return; }
  let b = i / dims.Z;
  let j = i % dims.Z;
  let mu = stats[b * 2u * dims.Z + j];
  let logVar = stats[b * 2u * dims.Z + dims.Z + j];
  z[i] = mu + exp(0.5 * logVar) * eps[i];
}

@compute @workgroup_size(WG, 1, 1)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= dims.B * dims.Z) { return; }
  let b = i / dims.Z;
  let j = i % dims.Z;
  let logVar = stats[b * 2u * dims.Z + dims.Z + j];
  let g = dz[i];
  dStats[b * 2u * dims.Z + j] = g;
  dStats[b * 2u * dims.Z + dims.Z + j] = g * eps[i] * 0.5 * exp(0.5 * logVar);
}
