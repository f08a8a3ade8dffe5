// Float64 reference of shaders/gaussian_mlp_likelihood.wgsl with SIGMOID_MEAN = false, as the sleep phase of
// wake-sleep uses it: log q(z | x) = log N(z; μ, σ²) per row for stats [μ | log σ²] (B, 2Z) and a given z (B, Z),
// and the gradient of −scale · Σ_b log q w.r.t. the stats (z held fixed: it is data in the sleep phase).

/** log N(z_b; μ_b, diag σ_b²) per row. */
export function gaussianLogDensity(stats: ArrayLike<number>, z: ArrayLike<number>, B: number, Z: number): Float64Array {
  const logq = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < Z; j++) {
      const mu = stats[b * 2 * Z + j];
      const variance = Math.exp(stats[b * 2 * Z + Z + j]);
      logq[b] += -0.5 * Math.log(2 * Math.PI * variance) - (z[b * Z + j] - mu) ** 2 / (2 * variance);
    }
  }
  return logq;
}

/** ∂(−scale · Σ_b log q_b)/∂stats (B, 2Z). */
export function gaussianLogDensityBackward(
  stats: ArrayLike<number>,
  z: ArrayLike<number>,
  B: number,
  Z: number,
  scale: number,
): Float64Array {
  const dStats = new Float64Array(B * 2 * Z);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < Z; j++) {
      const mu = stats[b * 2 * Z + j];
      const variance = Math.exp(stats[b * 2 * Z + Z + j]);
      const r = z[b * Z + j] - mu;
      dStats[b * 2 * Z + j] = (-scale * r) / variance; // ∂log q/∂μ = r/σ²
      dStats[b * 2 * Z + Z + j] = -scale * (-0.5 + (r * r) / (2 * variance)); // ∂log q/∂log σ² = −½ + r²/(2σ²)
    }
  }
  return dStats;
}
