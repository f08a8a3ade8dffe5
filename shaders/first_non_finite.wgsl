// first_non_finite.wgsl — remembers the first training step at which a watched tensor held NaN or ±Inf.
//
//   if ∃ i < N: values[i] is NaN or ±Inf   then   flags[SLOT] = min(flags[SLOT], current.step)
//
// Dispatched after every step on the step's results (its metrics; the optimizer state before a snapshot), with
// the step number t written by the host before each submission. The optimizer updates (*_update.wgsl) apply the
// same rule to the parameters they write. flags[SLOT] starts at NO_STEP (0xFFFFFFFF) and
// only ever decreases, so it holds the FIRST step whose values were non-finite however many steps later the
// host reads it. A float32 is non-finite exactly when its 8 exponent bits are all ones (IEEE 754 binary32:
// zero mantissa = ±Inf, otherwise NaN); the test is made on the bits, with no float arithmetic a compiler could
// fold away by assuming that NaN never occurs (x != x).
//
// Bindings:
//   values:  (N) the watched tensor, float32, read only
//   flags:   (SLOTS) u32, one per watched quantity (NON_FINITE_SLOTS, src/kernels/first_non_finite.ts), atomic
//   current: step = t ≥ 1, the step these values belong to
//
// Each invocation looks at PER_INVOCATION values, grid-strided (invocation t reads t, t + T, t + 2T, … where T is
// the number of invocations, so the lanes of a workgroup read neighbouring values), and only one that found a
// non-finite value touches flags. Dispatch: a 2-D grid (x, y, 1) of (WG, 1, 1) workgroups with
// x·y·WG·PER_INVOCATION ≥ N (flatGrid in src/kernels/kernel.ts over ⌈N / PER_INVOCATION⌉ invocations); flat index
// t = (wid.y · x + wid.x) · WG + lid.

// No defaults: WG, PER_INVOCATION, N and SLOT come from src/kernels/first_non_finite.ts when the pipeline is made.
override WG: u32;
override PER_INVOCATION: u32;
override N: u32;
override SLOT: u32;

const EXPONENT_BITS: u32 = 0x7f800000u;

struct Current { step: u32 }

@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read_write> flags: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> current: Current;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.y * groups.x + wid.x) * WG + lid;
  let invocations = groups.x * groups.y * WG;
  var nonFinite = false;
  for (var k = 0u; k < PER_INVOCATION; k++) {
    let i = t + k * invocations;
    if (i >= N) { break; }
    nonFinite = nonFinite || (bitcast<u32>(values[i]) & EXPONENT_BITS) == EXPONENT_BITS;
  }
  if (nonFinite) {
    atomicMin(&flags[SLOT], current.step);
  }
}
