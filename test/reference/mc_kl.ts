// Float64 reference of shaders/mc_kl.wgsl, written from the densities: the estimator-A KL at z = μ + σ ε is
// log N(z; μ, σ²) − log N(z; 0, I), and its total gradient w.r.t. (μ, log σ²) with ε held fixed (the
// reparameterisation), which the kernel splits into a path through z and a direct term.

const LOG_2PI = Math.log(2 * Math.PI);

export function mcKlForward(stats: ArrayLike<number>, eps: ArrayLike<number>, B: number, Z: number): Float64Array {
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < Z; j++) {
      const mu = stats[b * 2 * Z + j];
      const logVar = stats[b * 2 * Z + Z + j];
      const z = mu + Math.exp(0.5 * logVar) * eps[b * Z + j];
      const logQ = -0.5 * (LOG_2PI + logVar + (z - mu) ** 2 / Math.exp(logVar));
      const logP = -0.5 * (LOG_2PI + z * z);
      out[b] += logQ - logP;
    }
  }
  return out;
}

/** scale · ∂KL_A/∂stats, through z and directly. */
export function mcKlBackward(
  stats: ArrayLike<number>,
  eps: ArrayLike<number>,
  B: number,
  Z: number,
  scale: number,
): Float64Array {
  const d = new Float64Array(B * 2 * Z);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < Z; j++) {
      const mu = stats[b * 2 * Z + j];
      const sigma = Math.exp(0.5 * stats[b * 2 * Z + Z + j]);
      const e = eps[b * Z + j];
      const z = mu + sigma * e;
      // KL_A = ½ z² − ½ ε² − ½ log σ²  with z = μ + σ ε.
      d[b * 2 * Z + j] = scale * z;
      d[b * 2 * Z + Z + j] = scale * (z * e * 0.5 * sigma - 0.5);
    }
  }
  return d;
}
