// lib/lanes_rows.wgsl — the inner step of the conv "lanes" kernels (conv2d_lanes.wgsl, conv2d_weight_lanes.wgsl):
// a workgroup is one subgroup of 8 lanes holding a block of 8 rows × (8 lanes · 4 columns) of an output, one
// vec4 accumulator per row in every lane. At each step of the reduction, lane l has loaded the A value of row l
// (la) and the B values of its own 4 columns (bk); every lane then needs every row's A value, which
// subgroupBroadcast shares with a constant lane (one permute on lavapipe, against a per-lane sequence of about
// a dozen instructions per float for a storage load: shaders/matmul_lanes.wgsl's header says why).
//
//   acc[r] += A[r] · bk   for r = 0 .. 7,  A[r] = la of lane r
//
// accumulate_rows takes one step, accumulate_rows4 four (lib/fma4.wgsl); accumulate_blocks and
// accumulate_blocks4 apply them to a lane's GROUPS blocks. Needs `enable subgroups;` in the including shader, a
// workgroup that is one subgroup of at least 8 lanes, and (for the blocks) `override GROUPS: u32` and
// `const MAX_GROUPS: u32 = 4u`.

// #include "lib/fma4.wgsl"

fn accumulate_rows(acc: array<vec4<f32>, 8>, la: f32, bk: vec4<f32>) -> array<vec4<f32>, 8> {
  var out: array<vec4<f32>, 8>;
  out[0] = fma(vec4(subgroupBroadcast(la, 0u)), bk, acc[0]);
  out[1] = fma(vec4(subgroupBroadcast(la, 1u)), bk, acc[1]);
  out[2] = fma(vec4(subgroupBroadcast(la, 2u)), bk, acc[2]);
  out[3] = fma(vec4(subgroupBroadcast(la, 3u)), bk, acc[3]);
  out[4] = fma(vec4(subgroupBroadcast(la, 4u)), bk, acc[4]);
  out[5] = fma(vec4(subgroupBroadcast(la, 5u)), bk, acc[5]);
  out[6] = fma(vec4(subgroupBroadcast(la, 6u)), bk, acc[6]);
  out[7] = fma(vec4(subgroupBroadcast(la, 7u)), bk, acc[7]);
  return out;
}

// A lane's blocks: GROUPS (the including shader's override, ≤ its MAX_GROUPS = 4) blocks of 8 rows, each updated
// with the A value of its own row in this lane, la[g]:
//   acc[g][r] += A[8g + r] · bk   for the blocks g < GROUPS
fn accumulate_blocks(acc: array<array<vec4<f32>, 8>, MAX_GROUPS>, la: vec4<f32>, bk: vec4<f32>)
    -> array<array<vec4<f32>, 8>, MAX_GROUPS> {
  var out = acc;
  if (GROUPS > 0u) { out[0] = accumulate_rows(acc[0], la[0], bk); }
  if (GROUPS > 1u) { out[1] = accumulate_rows(acc[1], la[1], bk); }
  if (GROUPS > 2u) { out[2] = accumulate_rows(acc[2], la[2], bk); }
  if (GROUPS > 3u) { out[3] = accumulate_rows(acc[3], la[3], bk); }
  return out;
}

// Four steps of the reduction at once, as shaders/matmul_lanes.wgsl takes them: lane l holds row l's A values
// of the 4 steps (la), bk[kk] the B values of step kk, and each accumulator takes its 4 products in one chain
// (loaded and stored once, not 4 times):
//   acc[r] += Σ_kk A[r][kk] · bk[kk]   for r = 0 .. 7,  A[r] = la of lane r
fn accumulate_rows4(acc: array<vec4<f32>, 8>, la: vec4<f32>, bk: array<vec4<f32>, 4>) -> array<vec4<f32>, 8> {
  var out: array<vec4<f32>, 8>;
  out[0] = fma4(acc[0], subgroupBroadcast(la, 0u), bk);
  out[1] = fma4(acc[1], subgroupBroadcast(la, 1u), bk);
  out[2] = fma4(acc[2], subgroupBroadcast(la, 2u), bk);
  out[3] = fma4(acc[3], subgroupBroadcast(la, 3u), bk);
  out[4] = fma4(acc[4], subgroupBroadcast(la, 4u), bk);
  out[5] = fma4(acc[5], subgroupBroadcast(la, 5u), bk);
  out[6] = fma4(acc[6], subgroupBroadcast(la, 6u), bk);
  out[7] = fma4(acc[7], subgroupBroadcast(la, 7u), bk);
  return out;
}

// accumulate_rows4 for every block g < GROUPS, la[g] its lane's A values.
fn accumulate_blocks4(acc: array<array<vec4<f32>, 8>, MAX_GROUPS>, la: array<vec4<f32>, MAX_GROUPS>,
    bk: array<vec4<f32>, 4>) -> array<array<vec4<f32>, 8>, MAX_GROUPS> {
  var out = acc;
  if (GROUPS > 0u) { out[0] = accumulate_rows4(acc[0], la[0], bk); }
  if (GROUPS > 1u) { out[1] = accumulate_rows4(acc[1], la[1], bk); }
  if (GROUPS > 2u) { out[2] = accumulate_rows4(acc[2], la[2], bk); }
  if (GROUPS > 3u) { out[3] = accumulate_rows4(acc[3], la[3], bk); }
  return out;
}
