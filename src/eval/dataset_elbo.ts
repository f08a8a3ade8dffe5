/**
 * The ELBO of a whole dataset on the GPU: the rows go through the forward pass in chunks of B, each chunk's
 * mean [ELBO, KL, log p] is copied into a results buffer, and one read-back at the end combines them (in
 * float64, weighted by chunk size). ε comes from Philox(seed, chunk index, evaluation stream), so evaluating
 * the same parameters twice gives the same number.
 */
import { createStorageBuffer, readFloat32 } from '../gpu/buffers.ts';
import { encodeDispatches, type KernelDispatch } from '../kernels/kernel.ts';
import { klDivergence } from '../kernels/kl_divergence.ts';
import { elboMean, ELBO_METRICS } from '../kernels/elbo_mean.ts';
import { VaeForward } from '../model/vae_forward.ts';
import { BufferSet } from '../model/buffer_set.ts';
import type { ModelBuffers } from '../model/model_buffers.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';

export interface ElboResult {
  /** Mean ELBO in nats per datapoint (higher is better). */
  elbo: number;
  kl: number;
  /** Mean reconstruction term log p(x|z). */
  logp: number;
  rows: number;
}

/** Floats per chunk in the results buffer: the 3 metrics, padded so each chunk's copy is 16-byte aligned. */
const RESULT_STRIDE = 4;

/** The mean ELBO of `data` (whole rows of D values) under `model`, in chunks of `chunk` rows. */
export async function datasetElbo(
  model: ModelBuffers,
  data: Float32Array,
  options: { chunk: number; seed: number | bigint },
): Promise<ElboResult> {
  const ctx = model.gpu;
  const { D, Z } = model.architecture;
  if (data.length % D !== 0)
    throw new Error(`aevb: evaluation data holds ${data.length} floats, not a whole number of rows of D = ${D}`);
  const rows = data.length / D;
  if (rows === 0) throw new Error('aevb: evaluation data is empty');
  const chunk = Math.min(options.chunk, rows);
  const chunks = Math.ceil(rows / chunk);
  const results = createStorageBuffer(ctx, 'evaluation results', chunks * RESULT_STRIDE);
  const passes = new Map<
    number,
    { forward: VaeForward; loss: BufferSet; metrics: GPUBuffer; dispatches: KernelDispatch[] }
  >();
  // One plan per distinct chunk size (at most two: full chunks and the remainder).
  const planFor = (B: number) => {
    let pass = passes.get(B);
    if (pass === undefined) {
      const forward = new VaeForward(model, {
        B,
        noise: { seed: options.seed, stream: RANDOM_STREAMS.evaluationNoise },
        label: `evaluate B=${B}`,
      });
      // The KL kernel writes its gradient too; evaluation keeps it in a scratch buffer of its own.
      const loss = new BufferSet(ctx);
      const kl = loss.storage('evaluation kl', B);
      const metrics = loss.storage('evaluation metrics', ELBO_METRICS.count);
      const dispatches = [
        ...forward.dispatches,
        klDivergence(ctx, {
          B,
          Z,
          scale: 1 / B,
          stats: { buffer: forward.encoder.stats },
          kl: { buffer: kl },
          dStats: { buffer: loss.storage('evaluation dStats', B * 2 * Z) },
        }).dispatch,
        elboMean(ctx, { B, logp: { buffer: forward.logp }, kl: { buffer: kl }, metrics: { buffer: metrics } }),
      ];
      pass = { forward, loss, metrics, dispatches };
      passes.set(B, pass);
    }
    return pass;
  };
  try {
    for (let c = 0; c < chunks; c++) {
      const first = c * chunk;
      const B = Math.min(chunk, rows - first);
      const pass = planFor(B);
      ctx.device.queue.writeBuffer(pass.forward.encoder.x, 0, data.subarray(first * D, (first + B) * D));
      pass.forward.noise?.setStep(c);
      const encoder = ctx.device.createCommandEncoder({ label: `evaluate chunk ${c}` });
      encodeDispatches(encoder, pass.dispatches, 'evaluate');
      encoder.copyBufferToBuffer(pass.metrics, 0, results, c * RESULT_STRIDE * 4, ELBO_METRICS.count * 4);
      ctx.device.queue.submit([encoder.finish()]);
    }
    const values = await readFloat32(ctx, { buffer: results }, chunks * RESULT_STRIDE);
    const sum = { elbo: 0, kl: 0, logp: 0 };
    for (let c = 0; c < chunks; c++) {
      const B = Math.min(chunk, rows - c * chunk);
      sum.elbo += B * values[c * RESULT_STRIDE + ELBO_METRICS.elbo];
      sum.kl += B * values[c * RESULT_STRIDE + ELBO_METRICS.kl];
      sum.logp += B * values[c * RESULT_STRIDE + ELBO_METRICS.logp];
    }
    return { elbo: sum.elbo / rows, kl: sum.kl / rows, logp: sum.logp / rows, rows };
  } finally {
    for (const p of passes.values()) {
      p.forward.destroy();
      p.loss.destroy();
    }
    results.destroy();
  }
}
