// sgd_update.wgsl — plain stochastic gradient descent over the flat parameter buffer, one dispatch.
//
//   g = grads[i] + weightDecay · params[i]      (weight decay = the N(0, I/λ) prior on θ: MAP, coupled L2)
//   params[i] −= lr · g
//
// Bindings:
//   params: (P), read and written
//   grads:  (P) ∂loss/∂θ
//   hyper:  n (= P), lr, weightDecay
//
// One invocation per parameter. Dispatch: a 2-D grid (x, y, 1) of (WG, 1, 1) workgroups with x·y·WG ≥ P
// (x ≤ 65535, see flatGrid in src/kernels/kernel.ts); flat index = (wid.y · x + wid.x) · WG + lid.

// WG has no default: it is OPTIMIZER_WORKGROUP (src/kernels/optimizer.ts), passed when the pipeline is made.
override WG: u32;

struct Hyper { n: u32, lr: f32, weightDecay: f32 }

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<uniform> hyper: Hyper;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= hyper.n) { return; }
  let g = grads[i] + hyper.weightDecay * params[i];
  params[i] -= hyper.lr * g;
}
