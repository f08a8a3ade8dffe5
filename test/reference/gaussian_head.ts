// Encoder head output row [μ (Z) | raw (Z)] → stats [μ | log σ²] with the soft bound log σ² = c·tanh(raw / c).

export const LOGVAR_BOUND = 15;

export function gaussianHeadForward(raw: ArrayLike<number>, B: number, Z: number, bound = LOGVAR_BOUND): Float64Array {
  if (raw.length !== B * 2 * Z) throw new Error(`gaussianHeadForward: length ${raw.length} != ${B}*2*${Z}`);
  const stats = new Float64Array(B * 2 * Z);
  for (let b = 0; b < B; b++) {
    const row = b * 2 * Z;
    for (let j = 0; j < Z; j++) {
      stats[row + j] = raw[row + j];
      stats[row + Z + j] = bound * Math.tanh(raw[row + Z + j] / bound);
    }
  }
  return stats;
}

/** d(c·tanh(r/c))/dr = sech²(r/c); μ passes straight through. */
export function gaussianHeadBackward(
  raw: ArrayLike<number>,
  dStats: ArrayLike<number>,
  B: number,
  Z: number,
  bound = LOGVAR_BOUND,
): Float64Array {
  if (raw.length !== B * 2 * Z || dStats.length !== B * 2 * Z) throw new Error('gaussianHeadBackward: bad length');
  const dRaw = new Float64Array(B * 2 * Z);
  for (let b = 0; b < B; b++) {
    const row = b * 2 * Z;
    for (let j = 0; j < Z; j++) {
      dRaw[row + j] = dStats[row + j];
      const c = Math.cosh(raw[row + Z + j] / bound);
      dRaw[row + Z + j] = dStats[row + Z + j] / (c * c);
    }
  }
  return dRaw;
}
