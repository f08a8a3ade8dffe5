// ceilings.wgsl — the adapter's own limits, for bench/kernels.ts (never used in training).
//
//   fma_peak          arithmetic ceiling: each invocation runs ITERATIONS × 16 independent vec4 fma
//                     (8 accumulators, unrolled by hand, 128 flops per iteration), then writes one vec4.
//   load_peak_vec4    load ceiling: each invocation sums ITERATIONS × 4 vec4 loads from src (4 accumulators,
//                     unrolled by hand), then writes one vec4.
//   load_peak_scalar  the same with f32 loads: on CPU drivers a load costs about the same whatever its width,
//                     which is why matmul_lanes.wgsl loads vec4s.
//
// Bindings:
//   src:    QUADS vec4 (srcFloats: the same buffer as floats) (QUADS a power of two: indices wrap with a mask), read
//   sink:   one vec4 per invocation, written so nothing is optimised away
//   params: iterations (a uniform, so the compiler cannot unroll or fold the loop), quads
// Dispatch: (G, 1, 1) workgroups of (WG, 1, 1); flops = G·WG·iterations·128, loads = G·WG·iterations·4.

override WG: u32;

struct Params { iterations: u32, quads: u32 }

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> sink: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> params: Params;
// The same buffer as src, as floats (load_peak_scalar only; each entry point's layout holds what it uses).
@group(0) @binding(3) var<storage, read> srcFloats: array<f32>;

@compute @workgroup_size(WG, 1, 1)
fn fma_peak(@builtin(global_invocation_id) gid: vec3<u32>) {
  let seed = f32(gid.x) * 1e-6;
  var a0 = vec4(seed);
  var a1 = vec4(seed + 0.1);
  var a2 = vec4(seed + 0.2);
  var a3 = vec4(seed + 0.3);
  var a4 = vec4(seed + 0.4);
  var a5 = vec4(seed + 0.5);
  var a6 = vec4(seed + 0.6);
  var a7 = vec4(seed + 0.7);
  let m = vec4(0.999);
  let p = vec4(0.001);
  for (var i = 0u; i < params.iterations; i++) {
    a0 = fma(a0, m, p); a1 = fma(a1, m, p); a2 = fma(a2, m, p); a3 = fma(a3, m, p);
    a4 = fma(a4, m, p); a5 = fma(a5, m, p); a6 = fma(a6, m, p); a7 = fma(a7, m, p);
    a0 = fma(a0, m, p); a1 = fma(a1, m, p); a2 = fma(a2, m, p); a3 = fma(a3, m, p);
    a4 = fma(a4, m, p); a5 = fma(a5, m, p); a6 = fma(a6, m, p); a7 = fma(a7, m, p);
  }
  sink[gid.x] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

@compute @workgroup_size(WG, 1, 1)
fn load_peak_vec4(@builtin(global_invocation_id) gid: vec3<u32>) {
  let mask = params.quads - 1u;
  var s0 = vec4(0.0);
  var s1 = vec4(0.0);
  var s2 = vec4(0.0);
  var s3 = vec4(0.0);
  var e = gid.x * 4u;
  for (var i = 0u; i < params.iterations; i++) {
    s0 += src[e & mask];
    s1 += src[(e + 1u) & mask];
    s2 += src[(e + 2u) & mask];
    s3 += src[(e + 3u) & mask];
    e += 4u * WG;
  }
  sink[gid.x] = s0 + s1 + s2 + s3;
}

@compute @workgroup_size(WG, 1, 1)
fn load_peak_scalar(@builtin(global_invocation_id) gid: vec3<u32>) {
  let mask = params.quads - 1u;
  var s0 = 0.0;
  var s1 = 0.0;
  var s2 = 0.0;
  var s3 = 0.0;
  var e = gid.x * 4u;
  for (var i = 0u; i < params.iterations; i++) {
    s0 += srcFloats[(e & mask) * 4u];
    s1 += srcFloats[((e + 1u) & mask) * 4u + 1u];
    s2 += srcFloats[((e + 2u) & mask) * 4u + 2u];
    s3 += srcFloats[((e + 3u) & mask) * 4u + 3u];
    e += 4u * WG;
  }
  sink[gid.x] = vec4(s0, s1, s2, s3);
}
