/**
 * The loss of a training step, between the forward and the backward pass: the KL term — analytic (the paper's
 * estimator B) or Monte-Carlo at the sampled z (estimator A, and always under IWAE) — the IWAE row weights
 * that rescale the likelihood's gradient, and the minibatch means [ELBO, KL, log p] in `metrics`. The KL
 * term's gradient is handed to the backward pass, which launches it at the latent layer.
 */
import type { KernelDispatch } from '../kernels/kernel.ts';
import { klDivergence } from '../kernels/kl_divergence.ts';
import { mcKl } from '../kernels/mc_kl.ts';
import { iwaeWeights } from '../kernels/iwae_weights.ts';
import { scaleRows } from '../kernels/scale_rows.ts';
import { elboMean, ELBO_METRICS } from '../kernels/elbo_mean.ts';
import { BufferSet } from '../model/buffer_set.ts';
import type { ModelBuffers } from '../model/model_buffers.ts';
import { decoderOutputs } from '../model/vae_architecture.ts';
import type { VaeForward } from '../model/vae_forward.ts';
import type { KlGradient, VaeBackward } from '../model/vae_backward.ts';

export interface SgvbLossOptions {
  /** 'B' analytic KL, 'A' Monte-Carlo KL at the sampled z. */
  estimator: 'A' | 'B';
  /** k ≥ 2: the importance-weighted bound over groups of k consecutive rows; 0: the ELBO. */
  iwaeSamples: number;
  /** β of the first step, the KL term's weight (setKlWeight() changes it). */
  klWeight: number;
}

export class SgvbLoss {
  /** (3): mean ELBO, KL, log p(x|z) of the last step (ELBO_METRICS). */
  readonly metrics: GPUBuffer;
  /** After the forward pass, before any gradient is carried back: IWAE's row weights and the rescaling by them. */
  readonly weighting: KernelDispatch[] = [];
  /** The KL term's gradient, for the backward pass's latent layer. */
  readonly klGradient: KlGradient;
  /** After the backward pass (which has run the KL kernels): the minibatch means into `metrics`. */
  readonly summary: KernelDispatch;
  private readonly kl: { setScale(scale: number): void };
  private readonly B: number;
  /** β as the kernel has it now: a constant β (the usual case) is written once, not at every step. */
  private beta: number;
  private readonly buffers: BufferSet;

  constructor(model: ModelBuffers, forward: VaeForward, backward: VaeBackward, options: SgvbLossOptions) {
    const { gpu } = model;
    const { B } = forward;
    const { Z, D } = model.architecture;
    this.B = B;
    this.buffers = new BufferSet(gpu);
    const klRows = this.buffers.storage('kl', B);
    this.metrics = this.buffers.storage('metrics', ELBO_METRICS.count);
    const iwae = options.iwaeSamples;
    const stats = { buffer: forward.encoder.stats };
    this.beta = options.klWeight;
    const scale = options.klWeight / B;
    // IWAE: the per-row weights come from the forward values, before any gradient is carried back.
    const rowScale = iwae ? this.buffers.storage('iwae row scale', B) : null;
    if (iwae || options.estimator === 'A') {
      const mc = mcKl(gpu, {
        B,
        Z,
        scale,
        z: { buffer: forward.decoder.z },
        eps: { buffer: forward.eps },
        stats,
        kl: { buffer: klRows },
        dz: { buffer: backward.dz },
        dStats: { buffer: backward.dStats },
        rowScale: rowScale ? { buffer: rowScale } : undefined,
      });
      this.kl = mc;
      this.klGradient = { beforeReparameterize: [mc.forward], afterReparameterize: [mc.direct] };
      if (rowScale !== null) {
        const weights = { buffer: rowScale };
        this.weighting.push(
          mc.value,
          iwaeWeights(gpu, {
            B: B / iwae,
            k: iwae,
            scale: iwae / B,
            logp: { buffer: forward.logp },
            kl: { buffer: klRows },
            rowScale: weights,
            bound: { buffer: this.buffers.storage('iwae bound', B / iwae) },
          }),
        );
        this.weighting.push(
          scaleRows(
            gpu,
            { R: B, N: decoderOutputs(model.architecture), a: { buffer: forward.dLogits }, rowScale: weights },
            'iwae scale dLogits',
          ),
        );
        if (forward.dLogVarRows !== null)
          this.weighting.push(
            scaleRows(gpu, { R: B, N: D, a: { buffer: forward.dLogVarRows }, rowScale: weights }, 'iwae scale dLogVar'),
          );
      }
    } else {
      const kl = klDivergence(gpu, { B, Z, scale, stats, kl: { buffer: klRows }, dStats: { buffer: backward.dStats } });
      this.kl = kl;
      this.klGradient = { beforeReparameterize: [], afterReparameterize: [kl.dispatch] };
    }
    this.summary = elboMean(gpu, {
      B,
      logp: { buffer: forward.logp },
      kl: { buffer: klRows },
      metrics: { buffer: this.metrics },
    });
  }

  /** Sets β, the KL term's weight, for the next submission (a queue write, no wait). */
  setKlWeight(beta: number): void {
    if (beta === this.beta) return;
    this.kl.setScale(beta / this.B);
    this.beta = beta;
  }

  destroy(): void {
    this.buffers.destroy();
  }
}
