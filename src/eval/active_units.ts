/**
 * Active units (Burda et al. 2015, section 5.2): latent dimension j is active when its posterior mean moves
 * with the data, Cov_x(E_q[z_j | x]) > 0.01. The encoder runs on the GPU in chunks (encodeRows); the variance
 * of the means across rows is accumulated on the CPU in float64.
 */
import type { ModelBuffers } from '../model/model_buffers.ts';
import { encodeRows } from './encode_rows.ts';

export const ACTIVE_UNIT_THRESHOLD = 0.01;

export interface ActiveUnits {
  /** Dimensions whose posterior-mean variance exceeds the threshold. */
  count: number;
  /** Var_x(μ_j) for every latent dimension j. */
  variances: number[];
}

/** The active units of `model` over `data` (at least 2 whole rows of D values), `chunk` rows per GPU pass. */
export async function activeUnits(
  model: ModelBuffers,
  data: Float32Array,
  options: { chunk: number; threshold?: number },
): Promise<ActiveUnits> {
  const { D, Z } = model.architecture;
  const rows = data.length / D;
  if (!Number.isInteger(rows) || rows < 2)
    throw new Error(`aevb: active units need at least 2 whole rows of D = ${D} values`);
  const { mu } = await encodeRows(model, data, { chunk: options.chunk });
  const sum = new Float64Array(Z);
  const sumSquares = new Float64Array(Z);
  for (let b = 0; b < rows; b++) {
    for (let j = 0; j < Z; j++) {
      const m = mu[b * Z + j];
      sum[j] += m;
      sumSquares[j] += m * m;
    }
  }
  const variances = Array.from(sum, (s, j) => sumSquares[j] / rows - (s / rows) ** 2);
  const threshold = options.threshold ?? ACTIVE_UNIT_THRESHOLD;
  return { count: variances.filter((v) => v > threshold).length, variances };
}
