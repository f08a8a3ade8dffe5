// decoder_sample.wgsl — draws x ~ p(x | z) from the decoder output, for the sleep phase of wake-sleep (the
// "dreams" that fit the recognition model). Two standard normals a, b per value come from philox_normal.wgsl.
//
//   LIKELIHOOD 0 (bernoulli):   p = sigmoid(l),  u = exp(−½ (a² + b²)) ~ U(0, 1),  x = 1 if u < p else 0
//                               (a² + b² of two independent normals is χ²₂, i.e. Exp(½): exp(−½ χ²₂) is uniform)
//   LIKELIHOOD 1 (gaussian):    row [l | t] (2D):  x = sigmoid(l) + exp(½ max(t, F)) · a
//   LIKELIHOOD 2 (gaussian-shared-variance):       x = sigmoid(l) + exp(½ max(v_d, F)) · a
// F = minLogVar, the decoders' floor on log σ² (gaussian_mlp_likelihood.wgsl, gaussian_likelihood.wgsl).
//
// Bindings:
//   out:    (B, D) logits, or (B, 2D) rows [mean logits | log σ²] when LIKELIHOOD = 1
//   noise:  (B, 2D) standard normals: row b holds a for every d, then b for every d
//   logVar: (D) the shared log-variances when LIKELIHOOD = 2 (bind any read-only range of ≥ D floats otherwise)
//   x:      (B, D), written
//   params: B, D, minLogVar
//
// One invocation per value of x. Dispatch: a 2-D grid (x, y, 1) of (WG, 1, 1) workgroups with x·y·WG ≥ B·D
// (src/kernels/kernel.ts flatGrid); flat index = (wid.y · x + wid.x) · WG + lid.

// WG has no default: it is DECODER_SAMPLE_WORKGROUP (src/kernels/decoder_sample.ts), passed when the pipeline is made.
override WG: u32;
override LIKELIHOOD: u32 = 0u;

alias Real = f32;  // lib/activations.wgsl on scalars
// #include "lib/activations.wgsl"

struct Params { B: u32, D: u32, minLogVar: f32 }

@group(0) @binding(0) var<storage, read> out: array<f32>;
@group(0) @binding(1) var<storage, read> noise: array<f32>;
@group(0) @binding(2) var<storage, read> logVar: array<f32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * groups.x + wid.x) * WG + lid;
  let D = params.D;
  if (i >= params.B * D) { return; }
  let b = i / D;
  let d = i % D;
  let a = noise[b * 2u * D + d];
  if (LIKELIHOOD == 0u) {
    let second = noise[b * 2u * D + D + d];
    let u = exp(-0.5 * (a * a + second * second));
    x[i] = select(0.0, 1.0, u < sigmoid(out[i]));
  } else if (LIKELIHOOD == 1u) {
    let row = b * 2u * D;
    x[i] = sigmoid(out[row + d]) + exp(0.5 * max(out[row + D + d], params.minLogVar)) * a;
  } else {
    x[i] = sigmoid(out[i]) + exp(0.5 * max(logVar[d], params.minLogVar)) * a;
  }
}
