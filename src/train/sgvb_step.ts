/**
 * One SGVB training step (estimator A or B; L samples per datapoint are L copies of its row) as a fixed plan
 * of kernel launches, built once and replayed: forward (VaeForward) → loss (SgvbLoss) → backward (VaeBackward)
 * → optimizer update, encoded into ONE command buffer and submitted with no CPU wait. The minibatch mean
 * ELBO / KL / log p land in `metrics` on the GPU; reading them is the caller's (asynchronous, occasional)
 * business. Each stage owns its buffers; the parameters are the model's, the gradients the backward pass's,
 * the moments the optimizer's.
 *
 * Shapes (docs/conventions.md): x (B, D); encoder activations (B, H_i); raw, stats (B, 2Z); ε, z (B, Z);
 * decoder activations (B, H_i); logits (B, D). Gradients of activations hold ∂loss/∂(pre-activation).
 */
import { VaeForward } from '../model/vae_forward.ts';
import { VaeBackward } from '../model/vae_backward.ts';
import type { ModelBuffers } from '../model/model_buffers.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import type { OptimizerConfig } from './optimizer_config.ts';
import { SgvbLoss } from './sgvb_loss.ts';
import { TrainingStep } from './training_step.ts';

export interface SgvbStepOptions {
  /** Minibatch size. */
  B: number;
  optimizer: OptimizerConfig;
  /** The run's seed: ε of step t is Philox(seed, t, stream 0). */
  seed: number | bigint;
  /** 'philox' (training) or 'fixed': ε is whatever the caller wrote into `forward.eps` (tests). */
  noise?: 'philox' | 'fixed';
  /** β of step t, the weight of the KL term (KL warm-up, β-VAE); default 1, the ELBO itself. */
  klWeight?: (step: number) => number;
  /** The learning rate of step t (a schedule); default the optimizer's constant rate. */
  learningRate?: (step: number) => number;
  /** The paper's SGVB estimator: 'B' (default) analytic KL, 'A' Monte-Carlo KL at the sampled z. */
  estimator?: 'A' | 'B';
  /**
   * k ≥ 2: train on the importance-weighted bound (IWAE) over groups of k consecutive rows (one datapoint's k
   * samples); B must be a multiple of k. The KL is then estimator A's and β does not apply.
   */
  iwaeSamples?: number;
}

export class SgvbStep extends TrainingStep {
  readonly forward: VaeForward;
  readonly loss: SgvbLoss;
  readonly backward: VaeBackward;
  /** β of step t: the weight of the KL term in the loss (1 = the ELBO). */
  private readonly klWeight: (step: number) => number;

  constructor(model: ModelBuffers, options: SgvbStepOptions) {
    const { B } = options;
    super(model, B, 'sgvb', options.learningRate ?? (() => options.optimizer.lr));
    this.klWeight = options.klWeight ?? (() => 1);
    const iwae = options.iwaeSamples ?? 0;
    if (iwae !== 0 && (!Number.isInteger(iwae) || iwae < 2 || B % iwae !== 0)) {
      throw new Error(
        `aevb: the IWAE objective needs k ≥ 2 samples dividing the minibatch rows, got k=${iwae} for B=${B}`,
      );
    }
    const noise =
      (options.noise ?? 'philox') === 'philox' ? { seed: options.seed, stream: RANDOM_STREAMS.latentNoise } : null;
    this.forward = new VaeForward(model, { B, noise, label: 'train', likelihoodScale: iwae ? 1 : undefined });
    this.backward = new VaeBackward(model, this.forward);
    this.loss = new SgvbLoss(model, this.forward, this.backward, {
      estimator: options.estimator ?? 'B',
      iwaeSamples: iwae,
      klWeight: this.klWeight(1),
    });
    this.useOptimizer(options.optimizer, this.backward.grads);
    this.setPlan([
      ...this.forward.dispatches,
      ...this.loss.weighting,
      ...this.backward.plan(this.loss.klGradient),
      this.loss.summary,
    ]);
  }

  /** (P): ∂loss/∂params of the last step, laid out as the parameters. */
  get grads(): GPUBuffer {
    return this.backward.grads;
  }

  /** (3): mean ELBO, KL, log p(x|z) of the last step (ELBO_METRICS). */
  get metrics(): GPUBuffer {
    return this.loss.metrics;
  }

  protected beginStep(next: number): void {
    this.forward.noise?.setStep(next);
    this.loss.setKlWeight(this.klWeight(next));
  }

  protected destroyOwn(): void {
    this.forward.destroy();
    this.loss.destroy();
    this.backward.destroy();
  }
}
