// lib/optimizer_common.wgsl — the one entry point of sgd_update.wgsl, adagrad_update.wgsl and adam_update.wgsl:
// everything an update over the flat parameter buffer does but the optimizer's own rule.
//
//   g = grads[i] + weightDecay · params[i]      (weight decay = the N(0, I/λ) prior on θ: MAP, coupled L2)
//   params[i] = update(q, params[i], g, keep)   (the rule, which also writes its own state)
//
// One invocation per quad q of 4 parameters, 4q .. 4q+3, loaded and stored as vec4 (on lavapipe every storage
// access pays a per-lane bounds check, so one vec4 access costs about what one f32 access does); those at
// n (= P) and past it are padding, written back unchanged (keep is false there). If an updated parameter is NaN
// or ±Inf, flags[NON_FINITE_SLOT] is lowered to current.step (first_non_finite.wgsl's rule, on the exponent
// bits), which saves a second pass over the P parameters per step.
//
// The including shader declares, in its own binding numbers (src/kernels/*_update.ts state them):
//   params: array<vec4<f32>> (read_write), grads: array<vec4<f32>> (read), hyper: a uniform struct with n and
//   weightDecay, flags: array<atomic<u32>> (read_write), current: Current (uniform; NON_FINITE_BINDINGS in
//   src/kernels/first_non_finite.ts), and
//   fn update(q: u32, p: vec4<f32>, g: vec4<f32>, keep: vec4<bool>) -> vec4<f32>: the updated quad.
//
// Dispatch: a 2-D grid (x, y, 1) of (WG, 1, 1) workgroups with x·y·WG ≥ ⌈P/4⌉ (x ≤ 65535, see flatGrid in
// src/kernels/kernel.ts); flat quad index q = (wid.y · x + wid.x) · WG + lid.

// No defaults: WG is OPTIMIZER_WORKGROUP (src/kernels/optimizer.ts), NON_FINITE_SLOT is NON_FINITE_SLOTS.parameters
// (src/kernels/first_non_finite.ts), passed when the pipeline is made.
override WG: u32;
override NON_FINITE_SLOT: u32;

const EXPONENT_BITS: u32 = 0x7f800000u;

struct Current { step: u32 }

// Which of quad q's 4 elements are parameters (index < n); the others are padding, left as they are.
fn inRange(q: u32, n: u32) -> vec4<bool> {
  return (vec4<u32>(4u * q) + vec4<u32>(0u, 1u, 2u, 3u)) < vec4<u32>(n);
}

// Lowers the parameters' flag to the current step if any in-range updated value is NaN or ±Inf.
fn checkFinite(updated: vec4<f32>, keep: vec4<bool>) {
  let nonFinite = (bitcast<vec4<u32>>(updated) & vec4<u32>(EXPONENT_BITS)) == vec4<u32>(EXPONENT_BITS);
  if (any(nonFinite & keep)) {
    atomicMin(&flags[NON_FINITE_SLOT], current.step);
  }
}

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let q = (wid.y * groups.x + wid.x) * WG + lid;
  if (4u * q >= hyper.n) { return; }
  let keep = inRange(q, hyper.n);
  let p = params[q];
  let updated = update(q, p, grads[q] + hyper.weightDecay * p, keep);
  params[q] = select(p, updated, keep);
  checkFinite(updated, keep);
}
