// adam_update.wgsl — Adam (Kingma & Ba 2015) in PyTorch's form, over the flat parameter buffer, one dispatch.
//
//   g = grads[i] + weightDecay · params[i]      (coupled L2 = the N(0, I/λ) prior on θ; not AdamW)
//   m[i] = β1 m[i] + (1 − β1) g
//   v[i] = β2 v[i] + (1 − β2) g²
// 1 − β1 and 1 − β2 arrive precomputed in float64: f32(0.999) is off by 1.3e-8, so 1 − β2 computed in float32
// would be off by 1.3e-5 relative.
//   params[i] −= stepSize · m[i] / (√v[i] / sqrtBiasCorrection2 + eps)
// with stepSize = lr / (1 − β1ᵗ) and sqrtBiasCorrection2 = √(1 − β2ᵗ) for step t ≥ 1, computed on the CPU
// in float64 each step (src/kernels/adam_update.ts) because they depend only on t.
//
// Bindings:
//   params: (P), read and written
//   grads:  (P) ∂loss/∂θ
//   m, v:   (P) first and second moment estimates, read and written (start at 0)
//   hyper:  n (= P), β1, β2, 1 − β1, 1 − β2, eps, weightDecay, stepSize, sqrtBiasCorrection2
//
// One invocation per parameter. Dispatch: a 2-D grid (x, y, 1) of (WG, 1, 1) workgroups with x·y·WG ≥ P
// (x ≤ 65535, see flatGrid in src/kernels/kernel.ts); flat index = (wid.y · x + wid.x) · WG + lid.

// WG has no default: it is OPTIMIZER_WORKGROUP (src/kernels/optimizer.ts), passed when the pipeline is made.
override WG: u32;

struct Hyper {
  n: u32,
  beta1: f32,
  beta2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  eps: f32,
  weightDecay: f32,
  stepSize: f32,
  sqrtBiasCorrection2: f32,
}

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<uniform> hyper: Hyper;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= hyper.n) { return; }
  let g = grads[i] + hyper.weightDecay * params[i];
  let mi = hyper.beta1 * m[i] + hyper.oneMinusBeta1 * g;
  let vi = hyper.beta2 * v[i] + hyper.oneMinusBeta2 * g * g;
  m[i] = mi;
  v[i] = vi;
  params[i] -= hyper.stepSize * mi / (sqrt(vi) / hyper.sqrtBiasCorrection2 + hyper.eps);
}
