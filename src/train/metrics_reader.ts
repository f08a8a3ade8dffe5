/**
 * Reads a step's metrics back without ever blocking the next step: the copy into a mappable staging buffer is
 * recorded into that step's own command buffer, and the map resolves whenever the GPU gets there. A small
 * pool of staging buffers lets several reads be in flight; if all are busy, that sample is skipped rather than
 * waited for. The step plan's non-finite flags ride along in the same staging buffer, so every read-back also
 * says whether any step up to this one went non-finite, and which was first.
 */
import type { GpuContext } from '../gpu/device.ts';
import { ELBO_METRICS } from '../kernels/elbo_mean.ts';
import {
  decodeNonFiniteSteps,
  NON_FINITE_SLOTS,
  type NonFiniteFlags,
  type NonFiniteSteps,
} from '../kernels/first_non_finite.ts';

export interface StepMetrics {
  step: number;
  /** Minibatch mean ELBO, nats per datapoint. */
  elbo: number;
  kl: number;
  logp: number;
}

const POOL_SIZE = 4;
/** Staging layout: the metrics at 0, the flags at FLAGS_OFFSET (copies need 4-byte-multiple offsets). */
const FLAGS_OFFSET = 16;
const STAGING_BYTES = FLAGS_OFFSET + NON_FINITE_SLOTS.count * 4;

export class MetricsReader {
  private readonly free: GPUBuffer[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly ctx: GpuContext;
  private readonly onMetrics: (m: StepMetrics, nonFinite: NonFiniteSteps | null) => void;
  private readonly flags: NonFiniteFlags | null;
  private failure: unknown = null;

  /** `onMetrics` gets each read-back and, when `flags` are given, the first non-finite steps up to it. */
  constructor(
    ctx: GpuContext,
    onMetrics: (m: StepMetrics, nonFinite: NonFiniteSteps | null) => void,
    flags: NonFiniteFlags | null = null,
  ) {
    this.ctx = ctx;
    this.onMetrics = onMetrics;
    this.flags = flags;
    for (let i = 0; i < POOL_SIZE; i++) {
      this.free.push(
        ctx.device.createBuffer({
          label: `metrics staging ${i}`,
          size: STAGING_BYTES,
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        }),
      );
    }
  }

  /**
   * Returns a recorder that copies `metrics` into a free staging buffer, or null when every staging buffer is
   * still waiting. Call started() after submitting the command buffer the recorder wrote into.
   */
  claim(
    metrics: GPUBuffer,
    step: number,
  ): { record: (encoder: GPUCommandEncoder) => void; started: () => void } | null {
    this.throwIfFailed();
    const staging = this.free.pop();
    if (staging === undefined) return null;
    return {
      record: (encoder) => {
        encoder.copyBufferToBuffer(metrics, 0, staging, 0, ELBO_METRICS.count * 4);
        if (this.flags !== null)
          encoder.copyBufferToBuffer(this.flags.flags, 0, staging, FLAGS_OFFSET, NON_FINITE_SLOTS.count * 4);
      },
      started: () => {
        const read = staging
          .mapAsync(GPUMapMode.READ)
          .then(() => {
            const bytes = staging.getMappedRange().slice(0);
            staging.unmap();
            this.free.push(staging);
            const v = new Float32Array(bytes, 0, ELBO_METRICS.count);
            const nonFinite =
              this.flags === null
                ? null
                : decodeNonFiniteSteps(new Uint32Array(bytes, FLAGS_OFFSET, NON_FINITE_SLOTS.count));
            this.onMetrics(
              { step, elbo: v[ELBO_METRICS.elbo], kl: v[ELBO_METRICS.kl], logp: v[ELBO_METRICS.logp] },
              nonFinite,
            );
          })
          .catch((error) => {
            this.failure ??= error;
          });
        this.pending.add(read);
        void read.finally(() => this.pending.delete(read));
      },
    };
  }

  /** Waits for every read in flight, then throws the first failure (including one thrown by onMetrics). */
  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  destroy(): void {
    for (const b of this.free) b.destroy();
  }
}
