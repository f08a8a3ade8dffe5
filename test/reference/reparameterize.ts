// z = μ + σ ⊙ ε with σ = exp(½ log σ²); stats (B, 2Z) = [μ | log σ²], ε (B, Z).

export function reparameterizeForward(
  stats: ArrayLike<number>,
  eps: ArrayLike<number>,
  B: number,
  Z: number,
): Float64Array {
  if (stats.length !== B * 2 * Z || eps.length !== B * Z) throw new Error('reparameterizeForward: bad length');
  const z = new Float64Array(B * Z);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < Z; j++) {
      const mu = stats[b * 2 * Z + j];
      const lv = stats[b * 2 * Z + Z + j];
      z[b * Z + j] = mu + Math.exp(0.5 * lv) * eps[b * Z + j];
    }
  }
  return z;
}

/** ∂/∂μ = dz; ∂/∂log σ² = dz · ε · ½ exp(½ log σ²). */
export function reparameterizeBackward(
  stats: ArrayLike<number>,
  eps: ArrayLike<number>,
  dz: ArrayLike<number>,
  B: number,
  Z: number,
): Float64Array {
  if (stats.length !== B * 2 * Z || eps.length !== B * Z || dz.length !== B * Z) {
    throw new Error('reparameterizeBackward: bad length');
  }
  const dStats = new Float64Array(B * 2 * Z);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < Z; j++) {
      const lv = stats[b * 2 * Z + Z + j];
      const g = dz[b * Z + j];
      dStats[b * 2 * Z + j] = g;
      dStats[b * 2 * Z + Z + j] = g * eps[b * Z + j] * 0.5 * Math.exp(0.5 * lv);
    }
  }
  return dStats;
}
