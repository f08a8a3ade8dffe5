// lib/gaussian_log_density.wgsl — one value's Gaussian log-density under a floored log-variance, and what the
// Gaussian decoders' gradients need from it (gaussian_likelihood.wgsl, gaussian_mlp_likelihood.wgsl).
//
//   s = max(v, F),  r = x − m                     F = minLogVar, the decoders' floor on log σ²
//   logp              = −½ ( log 2π + s + r² e^{−s} )
//   precisionResidual = r e^{−s}                                      = ∂logp/∂m
//   dLogVar           = scale · ½ ( 1 − r² e^{−s} ) where v > F, else 0 = ∂(−scale · logp)/∂v

const LOG_2PI: f32 = 1.8378770664093453;

struct GaussianTerm { logp: f32, precisionResidual: f32, dLogVar: f32 }

fn gaussian_term(x: f32, mean: f32, logVar: f32, minLogVar: f32, scale: f32) -> GaussianTerm {
  let s = max(logVar, minLogVar);
  let r = x - mean;
  let inverseVariance = exp(-s);
  let squared = r * r * inverseVariance;
  return GaussianTerm(-0.5 * (LOG_2PI + s + squared), r * inverseVariance, select(0.0, scale * 0.5 * (1.0 - squared), logVar > minLogVar));
}
