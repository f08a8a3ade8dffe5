// iwae_weights.wgsl — the importance-weighted bound of Burda et al. (arXiv 1509.00519) over k samples per
// datapoint, and the per-sample weights its gradient needs.
//
// Rows come in groups: datapoint b owns rows b·k … b·k + k − 1 (its row repeated k times, one z each).
//   log w_i     = logp[i] − kl[i]                          (log p(x, z_i) − log q(z_i | x): estimator A's terms)
//   bound[b]    = log (1/k Σ_i w_i)  = m + log Σ_i exp(log w_i − m) − log k,   m = max_i log w_i
//   rowScale[i] = scale · w_i / Σ_j w_j                     (the normalised weight of row i, times scale = 1/B)
// ∇ bound = Σ_i w̃_i ∇ log w_i exactly, so the backward pass is estimator A's with each row's gradient scaled by
// rowScale instead of 1/(B·k). k = 1 gives rowScale = scale: the ELBO.
//
// Bindings:
//   logp, kl: (B·k)  per row
//   rowScale: (B·k)  written
//   bound:    (B)    written
//   params:   B (datapoints), k, scale
//
// One invocation per datapoint, looping over its k rows. Dispatch: (ceil(B / WG), 1, 1) of (WG, 1, 1).

// WG has no default: it is IWAE_WEIGHTS_WORKGROUP (src/kernels/iwae_weights.ts), passed when the pipeline is made.
override WG: u32;

struct Params { B: u32, k: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> logp: array<f32>;
@group(0) @binding(1) var<storage, read> kl: array<f32>;
@group(0) @binding(2) var<storage, read_write> rowScale: array<f32>;
@group(0) @binding(3) var<storage, read_write> bound: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= params.B) { return; }
  let first = b * params.k;
  var m = logp[first] - kl[first];
  for (var i = 1u; i < params.k; i++) {
    m = max(m, logp[first + i] - kl[first + i]);
  }
  var sum = 0.0;
  for (var i = 0u; i < params.k; i++) {
    sum += exp(logp[first + i] - kl[first + i] - m);
  }
  for (var i = 0u; i < params.k; i++) {
    rowScale[first + i] = params.scale * exp(logp[first + i] - kl[first + i] - m) / sum;
  }
  bound[b] = m + log(sum) - log(f32(params.k));
}
