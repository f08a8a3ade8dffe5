/**
 * What every kind of training step shares (SgvbStep, WakeSleepStep): a fixed plan of kernel launches built
 * once and replayed, ONE command buffer per step submitted with no CPU wait, the optimizer update over all
 * parameters, the step counter that keys the step's randomness, and the non-finite checks — of the loss and
 * the parameters in every step, of the optimizer state on demand. A subclass builds its plan and says which
 * uniforms change with the step (beginStep); the rest is here, once.
 */
import { encodeDispatches, submitDispatches, type KernelDispatch } from '../kernels/kernel.ts';
import type { OptimizerKernel } from '../kernels/optimizer.ts';
import { ELBO_METRICS } from '../kernels/elbo_mean.ts';
import { firstNonFinite, NonFiniteFlags } from '../kernels/first_non_finite.ts';
import type { ModelBuffers } from '../model/model_buffers.ts';
import type { VaeForward } from '../model/vae_forward.ts';
import { createOptimizer, type OptimizerConfig } from './optimizer_config.ts';

export abstract class TrainingStep {
  /** The model trained: its parameters are updated in place. */
  readonly model: ModelBuffers;
  readonly B: number;
  /** Steps completed so far; the next step is number `step + 1`. */
  step = 0;
  /**
   * The first step whose metrics or parameters held NaN or ±Inf, kept on the GPU: every step ends with a check
   * of what it produced, so the flags name the true step however late they are read. The optimizer state is
   * checked by checkOptimizerState().
   */
  readonly nonFinite: NonFiniteFlags;
  /** Per-parameter optimizer state buffers by name (each laid out as the parameters). */
  optimizerState!: Record<string, GPUBuffer>;
  /** The forward pass: `forward.encoder.x` is the minibatch (B, D). */
  abstract readonly forward: VaeForward;
  /** (3): mean ELBO, KL, log p(x|z) of the last step's minibatch (ELBO_METRICS). */
  abstract readonly metrics: GPUBuffer;
  protected optimizer!: OptimizerKernel;
  private dispatches: KernelDispatch[] = [];
  private stateChecks: KernelDispatch[] = [];

  protected constructor(
    model: ModelBuffers,
    B: number,
    private readonly label: string,
    protected readonly learningRate: (step: number) => number,
  ) {
    this.model = model;
    this.B = B;
    this.nonFinite = new NonFiniteFlags(model.gpu, `${label} non-finite flags`);
  }

  /** Sets up the optimizer on `grads`; its update also flags the parameters it writes (no second pass over P). */
  protected useOptimizer(config: OptimizerConfig, grads: GPUBuffer): void {
    const optimizer = createOptimizer(
      this.model.gpu,
      config,
      this.model.layout.P,
      this.model.params,
      grads,
      this.nonFinite,
    );
    this.optimizer = optimizer.kernel;
    this.optimizerState = optimizer.state;
  }

  /** The step's launches: `work`, then the optimizer update and the check of the loss the step reported. */
  protected setPlan(work: KernelDispatch[]): void {
    const gpu = this.model.gpu;
    this.dispatches = [
      ...work,
      this.optimizer.dispatch,
      firstNonFinite(gpu, {
        N: ELBO_METRICS.count,
        quantity: 'loss',
        values: { buffer: this.metrics },
        flags: this.nonFinite,
      }),
    ];
    this.stateChecks = Object.entries(this.optimizerState).map(([name, buffer]) =>
      firstNonFinite(
        gpu,
        { N: this.model.layout.P, quantity: 'optimizerState', values: { buffer }, flags: this.nonFinite },
        `first_non_finite optimizer ${name}`,
      ),
    );
  }

  /** Writes the uniforms of step `next` that the subclass's kernels read (noise counters, β). */
  protected abstract beginStep(next: number): void;

  /** Frees what the subclass made; the parameters stay (they are the model's). */
  protected abstract destroyOwn(): void;

  /** The launches of one step, in order (for benchmarks and debugging). */
  get plan(): readonly KernelDispatch[] {
    return this.dispatches;
  }

  /** Records one step's launches into `encoder` (uniforms and input are the caller's: see submitWith()). */
  encode(encoder: GPUCommandEncoder): void {
    encodeDispatches(encoder, this.dispatches, `${this.label} step`);
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
    submitDispatches(this.model.gpu, this.stateChecks, `${this.label} optimizer state check`);
  }

  /**
   * Queues one step whose input is put in place by `recordInput` (e.g. a copy from an upload-ring slot into
   * `forward.encoder.x`): sets the step's uniforms and submits ONE command buffer — input, step, and whatever
   * `extra` records after it (a metrics copy). Returns at once; the GPU runs it in order with what came before.
   */
  submitWith(recordInput: (encoder: GPUCommandEncoder) => void, extra?: (encoder: GPUCommandEncoder) => void): void {
    const next = this.step + 1;
    this.beginStep(next);
    this.optimizer.setStep(next, this.learningRate(next));
    this.nonFinite.setStep(next);
    const { device } = this.model.gpu;
    const encoder = device.createCommandEncoder({ label: `${this.label} step ${next}` });
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
    if (batch.length !== expected)
      throw new Error(`aevb: a minibatch must hold B·D = ${this.B}·${D} = ${expected} floats, got ${batch.length}`);
  }

  /** Frees the step's buffers and the optimizer state. */
  destroy(): void {
    this.destroyOwn();
    this.nonFinite.destroy();
    for (const b of Object.values(this.optimizerState)) b.destroy();
  }
}
