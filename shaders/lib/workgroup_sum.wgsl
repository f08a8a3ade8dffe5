// lib/workgroup_sum.wgsl — the sum of one value per invocation over a workgroup of WG invocations, by a tree
// reduction in workgroup memory (WG a power of two, an override the including shader declares).
//
// Every invocation of the workgroup must call it, in uniform control flow (it holds barriers); each gets the
// total back. The order of the additions is fixed by WG alone, so the sum is the same on every run.

var<workgroup> partial: array<f32, WG>;

fn workgroup_sum(lid: u32, value: f32) -> f32 {
  partial[lid] = value;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  return partial[0];
}
