// KL(N(μ, σ²) ‖ N(0, 1)) per datapoint, summed over the Z latents:
//   ½ Σ_j (μ² + σ² − 1 − log σ²)   (Kingma & Welling 2014, appendix B, with the sign as a divergence).

export function klDivergenceForward(stats: ArrayLike<number>, B: number, Z: number): Float64Array {
  if (stats.length !== B * 2 * Z) throw new Error('klDivergenceForward: bad length');
  const kl = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let j = 0; j < Z; j++) {
      const mu = stats[b * 2 * Z + j];
      const lv = stats[b * 2 * Z + Z + j];
      s += mu * mu + Math.exp(lv) - 1 - lv;
    }
    kl[b] = 0.5 * s;
  }
  return kl;
}

/** scale · ∂KL_b/∂stats: [scale·μ | scale·½(exp(log σ²) − 1)]. With scale = 1/B this is ∂loss/∂stats. */
export function klDivergenceBackward(stats: ArrayLike<number>, B: number, Z: number, scale: number): Float64Array {
  if (stats.length !== B * 2 * Z) throw new Error('klDivergenceBackward: bad length');
  const d = new Float64Array(B * 2 * Z);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < Z; j++) {
      const mu = stats[b * 2 * Z + j];
      const lv = stats[b * 2 * Z + Z + j];
      d[b * 2 * Z + j] = scale * mu;
      d[b * 2 * Z + Z + j] = scale * 0.5 * Math.expm1(lv);
    }
  }
  return d;
}
