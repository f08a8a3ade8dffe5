/**
 * Importance-sampled log p(x) on the GPU (the IWAE paper's protocol, Burda et al. 2015): for every datapoint,
 * log (1/k Σ_s p(x, z_s) / q(z_s | x)) with z_s ~ q(z | x). The encoder runs once per chunk of rows; each of
 * the k samples then re-runs only ε, the decoder and the likelihood, folding its weight into a running
 * log-sum-exp that never leaves the GPU. ε of sample s of chunk c is Philox(seed, c·k + s, importance stream).
 */
import { readFloat32 } from '../gpu/buffers.ts';
import { submitDispatches } from '../kernels/kernel.ts';
import { importanceWeight } from '../kernels/importance_weight.ts';
import { VaeForward } from '../model/vae_forward.ts';
import { BufferSet } from '../model/buffer_set.ts';
import type { ModelBuffers } from '../model/model_buffers.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';

/** Samples of a chunk between two waits for the GPU, and so between two progress reports. */
export const PROGRESS_SAMPLES = 64;

export interface LogPxResult {
  /** Mean importance-sampled log p(x) over the rows, nats per datapoint. */
  logPx: number;
  /** Per-row values. */
  perRow: Float32Array;
  k: number;
}

/**
 * log p(x) of every row of `data` (whole rows of D values) under `model`, k samples each, in chunks of `chunk`
 * rows. `onProgress(done, total)` counts importance samples, rows × k in all: it is told after every
 * PROGRESS_SAMPLES samples of a chunk, not only at a chunk's end — with k = 10⁶ one chunk takes minutes.
 */
export async function importanceSampledLogPx(
  model: ModelBuffers,
  data: Float32Array,
  options: { k: number; chunk: number; seed: number | bigint; onProgress?: (done: number, total: number) => void },
): Promise<LogPxResult> {
  const ctx = model.gpu;
  const { D, Z } = model.architecture;
  const { k } = options;
  if (!Number.isInteger(k) || k < 1) throw new Error(`aevb: k must be an integer ≥ 1, got ${k}`);
  if (data.length % D !== 0 || data.length === 0)
    throw new Error(`aevb: evaluation data must be whole rows of D = ${D} values`);
  const rows = data.length / D;
  const chunk = Math.min(options.chunk, rows);
  const chunks = Math.ceil(rows / chunk);
  if (chunks * k > 2 ** 32) throw new Error(`aevb: ${chunks} chunks × k = ${k} samples exceed the 2³² Philox counters`);
  const perRow = new Float32Array(rows);
  const plans = new Map<
    number,
    { forward: VaeForward; weights: BufferSet; kernels: ReturnType<typeof importanceWeight>; logPx: GPUBuffer }
  >();
  const planFor = (B: number) => {
    let plan = plans.get(B);
    if (plan === undefined) {
      const forward = new VaeForward(model, {
        B,
        noise: { seed: options.seed, stream: RANDOM_STREAMS.importanceNoise },
        label: `log p(x) B=${B}`,
      });
      const weights = new BufferSet(ctx);
      const logPx = weights.storage('log p(x)', B);
      const kernels = importanceWeight(ctx, {
        B,
        Z,
        k,
        logp: { buffer: forward.logp },
        z: { buffer: forward.decoder.z },
        eps: { buffer: forward.eps },
        stats: { buffer: forward.encoder.stats },
        state: { buffer: weights.storage('log p(x) state', B * 2) },
        logPx: { buffer: logPx },
      });
      plan = { forward, weights, kernels, logPx };
      plans.set(B, plan);
    }
    return plan;
  };
  try {
    for (let c = 0; c < chunks; c++) {
      const first = c * chunk;
      const B = Math.min(chunk, rows - first);
      const { forward, kernels, logPx } = planFor(B);
      ctx.device.queue.writeBuffer(forward.encoder.x, 0, data.subarray(first * D, (first + B) * D));
      submitDispatches(ctx, forward.encoderDispatches, 'log p(x) encoder');
      for (let s = 0; s < k; s++) {
        forward.noise!.setStep(c * k + s);
        submitDispatches(ctx, [...forward.sampleDispatches, s === 0 ? kernels.first : kernels.next], 'log p(x) sample');
        // A bounded queue: wait for the GPU now and then instead of queueing all k samples' uniforms at once.
        if (s % PROGRESS_SAMPLES === PROGRESS_SAMPLES - 1 && s + 1 < k) {
          await ctx.device.queue.onSubmittedWorkDone();
          options.onProgress?.(first * k + (s + 1) * B, rows * k);
        }
      }
      submitDispatches(ctx, [kernels.finish], 'log p(x) finish');
      perRow.set(await readFloat32(ctx, { buffer: logPx }, B), first);
      options.onProgress?.((first + B) * k, rows * k);
    }
  } finally {
    for (const p of plans.values()) {
      p.forward.destroy();
      p.weights.destroy();
    }
  }
  let sum = 0;
  for (const v of perRow) sum += v;
  return { logPx: sum / rows, perRow, k };
}
