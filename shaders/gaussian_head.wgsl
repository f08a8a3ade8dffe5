// gaussian_head.wgsl — the encoder's Gaussian head: raw head output → (μ, log σ²), and back.
//
// forward:   stats[b, j]     = raw[b, j]                         (μ, j < Z)
//            stats[b, Z + j] = BOUND · tanh(raw[b, Z + j] / BOUND) (log σ², soft-bounded to (−BOUND, BOUND))
// backward:  dRaw[b, j]      = dStats[b, j]
//            dRaw[b, Z + j]  = dStats[b, Z + j] · (1 − tanh²(raw[b, Z + j] / BOUND))
//
// Why a soft bound and not a clamp: exp(log σ²) must stay finite in float32, but a clamp has zero gradient
// outside its range and a unit pushed there never comes back; tanh keeps a (small) gradient everywhere and is
// within 1.4 % of the identity for |raw| < 3 (docs/conventions.md).
//
// Bindings:
//   raw:    (B, 2Z) = [μ | raw log σ²], the head dense layer's output
//   stats:  (B, 2Z) = [μ | log σ²], written by forward
//   dStats: (B, 2Z) ∂loss/∂stats, read by backward
//   dRaw:   (B, 2Z) ∂loss/∂raw, written by backward
//   dims:   B, Z
//
// One invocation per element of (B, 2Z). Dispatch: (ceil(B·2Z / WG), 1, 1) workgroups of (WG, 1, 1).

// WG has no default: it is GAUSSIAN_HEAD_WORKGROUP (src/kernels/gaussian_head.ts), passed when the pipeline is made.
override WG: u32;
// BOUND has no default: it is LOG_VARIANCE_BOUND (src/kernels/gaussian_head.ts), the one statement of the bound.
override BOUND: f32;

alias Real = f32;  // lib/activations.wgsl on scalars
// #include "lib/activations.wgsl"

struct Dims { B: u32, Z: u32 }

@group(0) @binding(0) var<storage, read> raw: array<f32>;
@group(0) @binding(1) var<storage, read_write> stats: array<f32>;
@group(0) @binding(2) var<uniform> dims: Dims;
@group(0) @binding(3) var<storage, read> dStats: array<f32>;
@group(0) @binding(4) var<storage, read_write> dRaw: array<f32>;

fn is_log_variance(i: u32) -> bool {
  return (i % (2u * dims.Z)) >= dims.Z;
}

@compute @workgroup_size(WG, 1, 1)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= dims.B * 2u * dims.Z) { return; }
  let r = raw[i];
  stats[i] = select(r, BOUND * stable_tanh(r / BOUND), is_log_variance(i));
}

@compute @workgroup_size(WG, 1, 1)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= dims.B * 2u * dims.Z) { return; }
  let t = stable_tanh(raw[i] / BOUND);
  dRaw[i] = select(dStats[i], dStats[i] * (1.0 - t * t), is_log_variance(i));
}
