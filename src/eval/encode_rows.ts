/**
 * The recognition model over a dataset: q(z|x) = N(μ, diag σ²) of every row, the encoder alone running on the
 * GPU in chunks of rows (no sampling, no decoder), each chunk's [μ | log σ²] read back and split.
 */
import { readFloat32 } from '../gpu/buffers.ts';
import { submitDispatches } from '../kernels/kernel.ts';
import type { ModelBuffers } from '../model/model_buffers.ts';
import { VaeEncoder } from '../model/vae_encoder.ts';

export interface EncodedRows {
  /** Posterior means μ (rows, Z), row-major. */
  mu: Float32Array;
  /** Posterior log-variances log σ² (rows, Z): the encoder's soft-bounded values, in (−15, 15). */
  logVar: Float32Array;
  rows: number;
}

/** μ and log σ² of every row of `data` (whole rows of D values), `chunk` rows per GPU pass. */
export async function encodeRows(
  model: ModelBuffers,
  data: Float32Array,
  options: { chunk: number },
): Promise<EncodedRows> {
  const { D, Z } = model.architecture;
  if (data.length % D !== 0 || data.length === 0)
    throw new Error(`aevb: rows to encode must be whole rows of D = ${D} values, got ${data.length} floats`);
  if (!Number.isInteger(options.chunk) || options.chunk < 1)
    throw new Error(`aevb: chunk must be a positive integer, got ${options.chunk}`);
  const rows = data.length / D;
  const chunk = Math.min(options.chunk, rows);
  const mu = new Float32Array(rows * Z);
  const logVar = new Float32Array(rows * Z);
  // One plan per distinct chunk size (at most two: full chunks and the remainder).
  const encoders = new Map<number, VaeEncoder>();
  try {
    for (let first = 0; first < rows; first += chunk) {
      const B = Math.min(chunk, rows - first);
      let encoder = encoders.get(B);
      if (encoder === undefined) {
        encoder = new VaeEncoder(model, B, `encode B=${B}`);
        encoders.set(B, encoder);
      }
      model.gpu.device.queue.writeBuffer(encoder.x, 0, data.subarray(first * D, (first + B) * D));
      submitDispatches(model.gpu, encoder.dispatches, 'encode');
      const stats = await readFloat32(model.gpu, { buffer: encoder.stats }, B * 2 * Z);
      for (let b = 0; b < B; b++) {
        mu.set(stats.subarray(b * 2 * Z, b * 2 * Z + Z), (first + b) * Z);
        logVar.set(stats.subarray(b * 2 * Z + Z, (b + 1) * 2 * Z), (first + b) * Z);
      }
    }
  } finally {
    for (const e of encoders.values()) e.destroy();
  }
  return { mu, logVar, rows };
}
