// scale_rows.wgsl — multiplies every row of a matrix by its own factor, in place:
//
//   a[r, n] *= rowScale[r]        for r < R, n < N
// Used by the IWAE objective to weigh each sample's gradient (∂/∂logits, ∂/∂log σ²) by its normalised
// importance weight after the likelihood kernel has written it with scale 1.
//
// Bindings:
//   a:        (R, N) row-major, read and written
//   rowScale: (R)
//   dims:     R, N
//
// One invocation per element. Dispatch: a 2-D grid (x, y, 1) of (WG, 1, 1) workgroups with x·y·WG ≥ R·N
// (src/kernels/kernel.ts flatGrid); flat index = (wid.y · x + wid.x) · WG + lid.

// WG has no default: it is SCALE_ROWS_WORKGROUP (src/kernels/scale_rows.ts), passed when the pipeline is made.
override WG: u32;

struct Dims { R: u32, N: u32 }

@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@group(0) @binding(1) var<storage, read> rowScale: array<f32>;
@group(0) @binding(2) var<uniform> dims: Dims;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  if (i >= dims.R * dims.N) { return; }
  a[i] *= rowScale[i / dims.N];
}
