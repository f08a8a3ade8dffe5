// elbo_mean.wgsl — minibatch means of the per-datapoint terms, kept on the GPU.
//
//   metrics[SLOT_ELBO] = (1/B) Σ_b (logp[b] − kl[b])    the ELBO, nats per datapoint (higher is better)
//   metrics[SLOT_KL]   = (1/B) Σ_b kl[b]
//   metrics[SLOT_LOGP] = (1/B) Σ_b logp[b]              the reconstruction term
//
// Bindings:
//   logp:    (B)
//   kl:      (B)
//   metrics: (3), written at the slots ELBO_METRICS (src/kernels/elbo_mean.ts) passes as overrides
//   dims:    B
//
// One workgroup: WG invocations stride over B, then a tree reduction in workgroup memory.
// Dispatch: (1, 1, 1) workgroup of (WG, 1, 1); WG must be a power of two.

// WG has no default: it is ELBO_MEAN_WORKGROUP (src/kernels/elbo_mean.ts), passed when the pipeline is made.
override WG: u32;
override SLOT_ELBO: u32;
override SLOT_KL: u32;
override SLOT_LOGP: u32;

struct Dims { B: u32 }

@group(0) @binding(0) var<storage, read> logp: array<f32>;
@group(0) @binding(1) var<storage, read> kl: array<f32>;
@group(0) @binding(2) var<storage, read_write> metrics: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;

var<workgroup> partialLogp: array<f32, WG>;
var<workgroup> partialKl: array<f32, WG>;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(local_invocation_index) lid: u32) {
  var sumLogp = 0.0;
  var sumKl = 0.0;
  for (var b = lid; b < dims.B; b += WG) {
    sumLogp += logp[b];
    sumKl += kl[b];
  }
  partialLogp[lid] = sumLogp;
  partialKl[lid] = sumKl;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      partialLogp[lid] += partialLogp[lid + stride];
      partialKl[lid] += partialKl[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let inverseB = 1.0 / f32(dims.B);
    metrics[SLOT_ELBO] = (partialLogp[0] - partialKl[0]) * inverseB;
    metrics[SLOT_KL] = partialKl[0] * inverseB;
    metrics[SLOT_LOGP] = partialLogp[0] * inverseB;
  }
}
