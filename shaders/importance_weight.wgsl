// importance_weight.wgsl — importance-sampled log p(x) (Burda et al., arXiv 1509.00519, eq. 8 with k samples),
// accumulated one sample of z at a time with a running, numerically stable log-sum-exp.
//
//   log w[b] = log p(x_b | z) + log p(z) − log q(z | x_b)
//            = logp[b] + Σ_j ( −½ z²[b,j] + ½ ε²[b,j] + ½ log σ²[b,j] )      (the −½ log 2π terms cancel;
//                                                                          z = μ + σ ε, so (z−μ)²/σ² = ε²)
//   accumulate:  (m, s) ← (max(m, log w), s·exp(m − m') + exp(log w − m'))   with m' the new max;
//                the first sample (FIRST) starts from (log w, 1)
//   finish:      logPx[b] = m + log s − log k
// Everything stays on the GPU between samples; only logPx (B) is read back.
//
// Bindings:
//   logp:   (B)     log p(x|z) of this sample (bernoulli_likelihood.wgsl)
//   z, eps: (B, Z)  this sample and the ε that made it
//   stats:  (B, 2Z) [μ | log σ²]
//   state:  (B, 2)  running (max, scaled sum), read and written
//   logPx:  (B)     written by finish
//   params: B, Z, k (used by finish)
//
// One invocation per datapoint. Dispatch: (ceil(B / WG), 1, 1) workgroups of (WG, 1, 1).

// WG has no default: it is IMPORTANCE_WEIGHT_WORKGROUP (src/kernels/importance_weight.ts), passed when the pipeline is made.
override WG: u32;
override FIRST: bool = false;

struct Params { B: u32, Z: u32, k: u32 }

@group(0) @binding(0) var<storage, read> logp: array<f32>;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read> eps: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> state: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;
@group(0) @binding(6) var<storage, read_write> logPx: array<f32>;

@compute @workgroup_size(WG, 1, 1)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= params.B) { return; }
  var logW = logp[b];
  for (var j = 0u; j < params.Z; j++) {
    let zj = z[b * params.Z + j];
    let ej = eps[b * params.Z + j];
    logW += -0.5 * zj * zj + 0.5 * ej * ej + 0.5 * stats[b * 2u * params.Z + params.Z + j];
  }
  if (FIRST) {
    state[2u * b] = logW;
    state[2u * b + 1u] = 1.0;
    return;
  }
  let m = state[2u * b];
  let s = state[2u * b + 1u];
  let mNew = max(m, logW);
  state[2u * b] = mNew;
  state[2u * b + 1u] = s * exp(m - mNew) + exp(logW - mNew);
}

@compute @workgroup_size(WG, 1, 1)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= params.B) { return; }
  logPx[b] = state[2u * b] + log(state[2u * b + 1u]) - log(f32(params.k));
}
