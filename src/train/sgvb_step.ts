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
import { encodeDispatches, submitDispatches, type KernelDispatch } from '../kernels/kernel.ts';
import type { OptimizerKernel } from '../kernels/optimizer.ts';
import { ELBO_METRICS } from '../kernels/elbo_mean.ts';
import { firstNonFinite, NonFiniteFlags } from '../kernels/first_non_finite.ts';
import { VaeForward } from '../model/vae_forward.ts';
import { VaeBackward } from '../model/vae_backward.ts';
import type { ModelBuffers } from '../model/model_buffers.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import { createOptimizer, type OptimizerConfig } from './optimizer_config.ts';
import { SgvbLoss } from './sgvb_loss.ts';

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

export class SgvbStep {
  /** The model trained: its parameters are updated in place. */
  readonly model: ModelBuffers;
  /** The forward pass: `forward.encoder.x` is the minibatch (B, D) written by submit(), `forward.eps` is ε. */
  readonly forward: VaeForward;
  readonly loss: SgvbLoss;
  readonly backward: VaeBackward;
  /** Per-parameter optimizer state buffers by name (each laid out as the parameters). */
  readonly optimizerState: Record<string, GPUBuffer>;
  /**
   * The first step whose metrics or parameters held NaN or ±Inf, kept on the GPU: every step ends with a check
   * of what it produced, so the flags name the true step however late they are read. The optimizer state is
   * checked by checkOptimizerState().
   */
  readonly nonFinite: NonFiniteFlags;
  /** Steps completed so far; the next step is number `step + 1`. */
  step = 0;
  readonly B: number;
  private readonly dispatches: KernelDispatch[];
  private readonly optimizer: OptimizerKernel;
  /** β of step t: the weight of the KL term in the loss (1 = the ELBO). */
  private readonly klWeight: (step: number) => number;
  /** The learning rate of step t (the config's schedule). */
  private readonly learningRate: (step: number) => number;
  private readonly stateChecks: KernelDispatch[];

  constructor(model: ModelBuffers, options: SgvbStepOptions) {
    const { B } = options;
    this.model = model;
    this.B = B;
    this.klWeight = options.klWeight ?? (() => 1);
    this.learningRate = options.learningRate ?? (() => options.optimizer.lr);
    const iwae = options.iwaeSamples ?? 0;
    if (iwae !== 0 && (!Number.isInteger(iwae) || iwae < 2 || B % iwae !== 0)) {
      throw new Error(`aevb: the IWAE objective needs k ≥ 2 samples dividing the minibatch rows, got k=${iwae} for B=${B}`);
    }
    const noise = (options.noise ?? 'philox') === 'philox' ? { seed: options.seed, stream: RANDOM_STREAMS.latentNoise } : null;
    this.forward = new VaeForward(model, { B, noise, label: 'train', likelihoodScale: iwae ? 1 : undefined });
    this.backward = new VaeBackward(model, this.forward);
    this.loss = new SgvbLoss(model, this.forward, this.backward, { estimator: options.estimator ?? 'B', iwaeSamples: iwae, klWeight: this.klWeight(1) });
    const gpu = model.gpu;
    this.nonFinite = new NonFiniteFlags(gpu, 'sgvb non-finite flags');
    // The update checks the parameters it writes (the parameters' flag), so no second pass over P is needed.
    const optimizer = createOptimizer(gpu, options.optimizer, model.layout.P, model.params, this.backward.grads, this.nonFinite);
    this.optimizer = optimizer.kernel;
    this.optimizerState = optimizer.state;
    this.dispatches = [
      ...this.forward.dispatches,
      ...this.loss.weighting,
      ...this.backward.plan(this.loss.klGradient),
      this.loss.summary,
      // Also checks the parameters it leaves behind: the next step (and any snapshot) starts from these values.
      this.optimizer.dispatch,
      firstNonFinite(gpu, { N: ELBO_METRICS.count, quantity: 'loss', values: { buffer: this.loss.metrics }, flags: this.nonFinite }),
    ];
    this.stateChecks = Object.entries(this.optimizerState).map(([name, buffer]) =>
      firstNonFinite(gpu, { N: model.layout.P, quantity: 'optimizerState', values: { buffer }, flags: this.nonFinite }, `first_non_finite optimizer ${name}`));
  }

  /** (P): ∂loss/∂params of the last step, laid out as the parameters. */
  get grads(): GPUBuffer {
    return this.backward.grads;
  }

  /** (3): mean ELBO, KL, log p(x|z) of the last step (ELBO_METRICS). */
  get metrics(): GPUBuffer {
    return this.loss.metrics;
  }

  /** The launches of one step, in order (for benchmarks and debugging). */
  get plan(): readonly KernelDispatch[] {
    return this.dispatches;
  }

  /**
   * Queues a check of the optimizer state as it is after the steps so far: if any value is NaN or ±Inf, the
   * optimizerState flag gets (at most) the current step. Run before a snapshot rather than in every step: state
   * that overflows while the parameters and loss stay finite (Adam's v from a huge gradient) is rare, and reading
   * 2·P more floats every step cost ~4% of a step on lavapipe (bench/non_finite_flags.ts).
   */
  checkOptimizerState(): void {
    if (this.step === 0 || this.stateChecks.length === 0) return;
    this.nonFinite.setStep(this.step);
    submitDispatches(this.model.gpu, this.stateChecks, 'optimizer state check');
  }

  /** Records one step into `encoder` (uploads and uniforms are the caller's: see submit()). */
  encode(encoder: GPUCommandEncoder): void {
    encodeDispatches(encoder, this.dispatches, 'sgvb step');
  }

  /**
   * Queues one step whose input is put in place by `recordInput` (e.g. a copy from an upload-ring slot into
   * `forward.encoder.x`): sets the step's uniforms and submits ONE command buffer — input, step, and whatever `extra`
   * records after it (a metrics copy). Returns at once; the GPU runs it in order with everything before it.
   */
  submitWith(recordInput: (encoder: GPUCommandEncoder) => void, extra?: (encoder: GPUCommandEncoder) => void): void {
    const next = this.step + 1;
    this.forward.noise?.setStep(next);
    this.optimizer.setStep(next, this.learningRate(next));
    this.loss.setKlWeight(this.klWeight(next));
    this.nonFinite.setStep(next);
    const { device } = this.model.gpu;
    const encoder = device.createCommandEncoder({ label: `sgvb step ${next}` });
    recordInput(encoder);
    this.encode(encoder);
    extra?.(encoder);
    device.queue.submit([encoder.finish()]);
    this.step = next;
  }

  /** Queues one step on `batch` (B·D floats, row-major), uploaded with a queue write. */
  submit(batch: Float32Array, extra?: (encoder: GPUCommandEncoder) => void): void {
    this.checkBatch(batch);
    this.model.gpu.device.queue.writeBuffer(this.forward.encoder.x, 0, batch);
    this.submitWith(() => {}, extra);
  }

  /** Throws unless `batch` holds exactly B·D floats. */
  checkBatch(batch: Float32Array): void {
    const { D } = this.model.architecture;
    const expected = this.B * D;
    if (batch.length !== expected) throw new Error(`aevb: a minibatch must hold B·D = ${this.B}·${D} = ${expected} floats, got ${batch.length}`);
  }

  /** Frees the step's buffers and the optimizer state; the model's parameters stay (they are the model's). */
  destroy(): void {
    this.forward.destroy();
    this.loss.destroy();
    this.backward.destroy();
    this.nonFinite.destroy();
    for (const b of Object.values(this.optimizerState)) b.destroy();
  }
}
