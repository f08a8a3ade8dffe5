// adagrad_update.wgsl — Adagrad (Duchi et al. 2011; the optimiser of Kingma & Welling's experiments) over
// the flat parameter buffer, one dispatch.
//
//   g = grads[i] + weightDecay · params[i]      (weight decay = the N(0, I/λ) prior on θ: MAP, coupled L2)
//   accum[i] += g²
//   params[i] −= lr · g / (√accum[i] + eps)
//
// Bindings:
//   params: (P), read and written
//   grads:  (P) ∂loss/∂θ
//   accum:  (P) sum of squared gradients, read and written (starts at 0)
//   hyper:  n (= P), lr, eps, weightDecay
//
// One invocation per parameter. Dispatch: a 2-D grid (x, y, 1) of (WG, 1, 1) workgroups with x·y·WG ≥ P
// (x ≤ 65535, see flatGrid in src/kernels/kernel.ts); flat index = (wid.y · x + wid.x) · WG + lid.

// WG has no default: it is OPTIMIZER_WORKGROUP (src/kernels/optimizer.ts), passed when the pipeline is made.
override WG: u32;

struct Hyper { n: u32, lr: f32, eps: f32, weightDecay: f32 }

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> accum: array<f32>;
@group(0) @binding(3) var<uniform> hyper: Hyper;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= hyper.n) { return; }
  let g = grads[i] + hyper.weightDecay * params[i];
  let h = accum[i] + g * g;
  accum[i] = h;
  params[i] -= hyper.lr * g / (sqrt(h) + hyper.eps);
}
