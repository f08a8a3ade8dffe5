// lib/fma4.wgsl — four steps of a reduction into one accumulator, in one chain: the lanes kernels
// (matmul_lanes.wgsl, and conv2d_lanes.wgsl through lib/lanes_rows.wgsl) take 4 steps at a time this way so that
// lavapipe loads and stores a spilled accumulator once per 4 multiply-adds, not at each.
//
//   fma4(acc, a, bk) = acc + Σ_kk a[kk] · bk[kk]

fn fma4(acc: vec4<f32>, a: vec4<f32>, bk: array<vec4<f32>, 4>) -> vec4<f32> {
  var s = acc;
  s = fma(vec4(a.x), bk[0], s);
  s = fma(vec4(a.y), bk[1], s);
  s = fma(vec4(a.z), bk[2], s);
  s = fma(vec4(a.w), bk[3], s);
  return s;
}
