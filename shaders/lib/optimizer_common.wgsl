// lib/optimizer_common.wgsl — what sgd_update.wgsl, adagrad_update.wgsl and adam_update.wgsl share: the
// padding mask of a quad and the check of what an update wrote.
//
// One invocation updates quad q, parameters 4q .. 4q+3; those at n (= P) and past it are padding, written back
// unchanged. If an updated parameter is NaN or ±Inf, flags[NON_FINITE_SLOT] is lowered to current.step
// (first_non_finite.wgsl's rule, on the exponent bits), which saves a second pass over the P parameters.
// The including shader declares the bindings `flags: array<atomic<u32>>` (read_write) and `current: Current`
// (uniform) in its own numbering (src/kernels/first_non_finite.ts NON_FINITE_BINDINGS).

// No default: NON_FINITE_SLOTS.parameters (src/kernels/first_non_finite.ts), passed when the pipeline is made.
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
