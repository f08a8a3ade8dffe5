/**
 * Active units (Burda et al. 2015, section 5.2): latent dimension j is active when its posterior mean moves
 * with the data, Cov_x(E_q[z_j | x]) > 0.01. The encoder runs on the GPU in chunks; the means come back and
 * their variance across rows is accumulated on the CPU in float64.
 */
import type { GpuContext } from '../gpu/device.ts';
import { readFloat32 } from '../gpu/buffers.ts';
import { submitDispatches } from '../kernels/kernel.ts';
import { VaeForward } from '../model/vae_forward.ts';
import type { VaeArchitecture } from '../model/vae_architecture.ts';
import type { ParameterLayout } from '../model/parameter_layout.ts';

export const ACTIVE_UNIT_THRESHOLD = 0.01;

export interface ActiveUnits {
  /** Dimensions whose posterior-mean variance exceeds the threshold. */
  count: number;
  /** Var_x(μ_j) for every latent dimension j. */
  variances: number[];
}

export async function activeUnits(
  ctx: GpuContext,
  model: { arch: VaeArchitecture; layout: ParameterLayout; params: GPUBuffer },
  data: Float32Array,
  options: { chunk: number; threshold?: number },
): Promise<ActiveUnits> {
  const { D, Z } = model.arch;
  const rows = data.length / D;
  if (!Number.isInteger(rows) || rows < 2) throw new Error(`aevb: active units need at least 2 whole rows of D = ${D} values`);
  const chunk = Math.min(options.chunk, rows);
  const sum = new Float64Array(Z);
  const sumSquares = new Float64Array(Z);
  const passes = new Map<number, VaeForward>();
  try {
    for (let first = 0; first < rows; first += chunk) {
      const B = Math.min(chunk, rows - first);
      let forward = passes.get(B);
      if (forward === undefined) {
        forward = new VaeForward(ctx, { ...model, B, noise: null, label: `active units B=${B}` });
        passes.set(B, forward);
      }
      ctx.device.queue.writeBuffer(forward.x, 0, data.subarray(first * D, (first + B) * D));
      submitDispatches(ctx, forward.encoderDispatches, 'active units');
      const stats = await readFloat32(ctx, { buffer: forward.stats }, B * 2 * Z);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < Z; j++) {
          const mu = stats[b * 2 * Z + j];
          sum[j] += mu;
          sumSquares[j] += mu * mu;
        }
      }
    }
  } finally {
    for (const f of passes.values()) f.destroy();
  }
  const variances = Array.from(sum, (s, j) => sumSquares[j] / rows - (s / rows) ** 2);
  const threshold = options.threshold ?? ACTIVE_UNIT_THRESHOLD;
  return { count: variances.filter((v) => v > threshold).length, variances };
}
