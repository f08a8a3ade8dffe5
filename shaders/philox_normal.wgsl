// philox_normal.wgsl — standard normal ε from the counter-based generator Philox-4x32-10
// (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11).
//
//   (r0, r1, r2, r3) = Philox4x32-10(counter = (block, step, stream, 0), key = (seed_lo, seed_hi))
//   u_i   = ((r_i >> 9) + ½) · 2⁻²³                 in (0, 1), exact in float32
//   θ1 = π (2 u1 − 1),  θ3 = π (2 u3 − 1)           in (−π, π): WGSL bounds cos/sin error only there
//   out[4·block + 0] = √(−2 ln u0) · cos θ1,   out[4·block + 1] = √(−2 ln u0) · sin θ1
//   out[4·block + 2] = √(−2 ln u2) · cos θ3,   out[4·block + 3] = √(−2 ln u2) · sin θ3
// The same (seed, step, stream) always gives the same numbers, on any adapter up to float32 rounding of
// log/cos/sin, so a run replays and a resumed run continues the same sequence. src/random/philox.ts is the
// CPU implementation, checked against Random123's published known-answer vectors.
//
// Bindings:
//   out:    (n) float32 normals, written
//   params: n, step, stream, seed_lo, seed_hi
//
// One invocation per block of 4 outputs. Dispatch: (ceil(ceil(n / 4) / WG), 1, 1) workgroups of (WG, 1, 1);
// the last block may be partial.

// WG has no default: it is PHILOX_NORMAL_WORKGROUP (src/kernels/philox_normal.ts), passed when the pipeline is made.
override WG: u32;

struct Params { n: u32, step: u32, stream: u32, seedLo: u32, seedHi: u32 }

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;

// #include "lib/philox.wgsl"

const PI: f32 = 3.141592653589793;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let block = gid.x;
  let first = block * 4u;
  if (first >= params.n) { return; }
  let r = philox4x32_10(vec4<u32>(block, params.step, params.stream, 0u), vec2<u32>(params.seedLo, params.seedHi));
  let radius01 = sqrt(-2.0 * log(to_open_unit(r.x)));
  let angle01 = PI * (2.0 * to_open_unit(r.y) - 1.0);
  let radius23 = sqrt(-2.0 * log(to_open_unit(r.z)));
  let angle23 = PI * (2.0 * to_open_unit(r.w) - 1.0);
  let normals = vec4<f32>(radius01 * cos(angle01), radius01 * sin(angle01),
                          radius23 * cos(angle23), radius23 * sin(angle23));
  for (var t = 0u; t < 4u; t++) {
    if (first + t < params.n) { out[first + t] = normals[t]; }
  }
}
