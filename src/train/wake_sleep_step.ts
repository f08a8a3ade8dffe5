/**
 * One step of the wake-sleep algorithm (Hinton, Dayan, Frey & Neal 1995), the paper's baseline, for the same
 * encoder and decoder as SGVB, as a fixed plan of launches submitted in ONE command buffer:
 *
 *   wake:  x (data) → encoder → z ~ q(z|x) → decoder → log p(x|z);  the decoder's gradient of −log p(x|z),
 *          with z held fixed (nothing flows back into the encoder)
 *   sleep: z ~ N(0, I) → decoder → x ~ p(x|z) (decoder_sample) → encoder → q(z|x);  the encoder's gradient of
 *          −log q(z|x) at the dreamed z (gaussian_mlp_likelihood with an identity mean)
 *   update: one optimizer dispatch over all parameters (decoder gradients from the wake phase, encoder
 *          gradients from the sleep phase)
 *
 * Both phases average over their B rows (scale 1/B). The minibatch ELBO of the wake phase (analytic KL, as
 * SGVB's estimator B reports it) lands in `metrics`, so a wake-sleep run is scored by the same bound.
 * β, KL warm-up, the estimator and the IWAE objective belong to SGVB and do not apply.
 */
import type { GpuContext } from '../gpu/device.ts';
import { encodeDispatches, submitDispatches, type KernelDispatch } from '../kernels/kernel.ts';
import { firstNonFinite, NonFiniteFlags } from '../kernels/first_non_finite.ts';
import { columnSum } from '../kernels/column_sum.ts';
import { gaussianHeadBackward, LOG_VARIANCE_BOUND } from '../kernels/gaussian_head.ts';
import { klDivergence } from '../kernels/kl_divergence.ts';
import { elboMean, ELBO_METRICS } from '../kernels/elbo_mean.ts';
import { philoxNormal, type PhiloxNormalKernel } from '../kernels/philox_normal.ts';
import { decoderSample } from '../kernels/decoder_sample.ts';
import { gaussianMlpLikelihood } from '../kernels/gaussian_mlp_likelihood.ts';
import type { OptimizerKernel } from '../kernels/optimizer.ts';
import { minLogVarianceOf, vaeLayers, type DenseLayer } from '../model/vae_architecture.ts';
import { VaeForward } from '../model/vae_forward.ts';
import { VaeDecoder } from '../model/vae_decoder.ts';
import { VaeEncoder } from '../model/vae_encoder.ts';
import { denseChainBackward } from '../model/dense_chain.ts';
import { BufferSet } from '../model/buffer_set.ts';
import { tensorIn, type ModelBuffers } from '../model/model_buffers.ts';
import { DECODER_LOG_VARIANCE } from '../model/parameter_layout.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import { createOptimizer, type OptimizerConfig } from './optimizer_config.ts';

export interface WakeSleepStepOptions {
  /** Minibatch size, and the number of dreams of the sleep phase. */
  B: number;
  optimizer: OptimizerConfig;
  /** The run's seed: step t draws from Philox(seed, t, latent noise / sleep latents / sleep data). */
  seed: number | bigint;
  /** 'philox' (training) or 'fixed': ε, the dreamed z and the dream noise are whatever the caller wrote (tests). */
  noise?: 'philox' | 'fixed';
  /** The learning rate of step t (a schedule); default the optimizer's constant rate. */
  learningRate?: (step: number) => number;
}

export class WakeSleepStep {
  readonly model: ModelBuffers;
  /** (P): the decoder's gradients from the wake phase and the encoder's from the sleep phase, laid out as the parameters. */
  readonly grads: GPUBuffer;
  readonly optimizerState: Record<string, GPUBuffer>;
  /** The wake phase: `forward.encoder.x` is the minibatch (B, D), `forward.eps` its ε. */
  readonly forward: VaeForward;
  /** The sleep phase: `dreams.decoder.z` the dreamed z (B, Z), `dreams.noise` the normals behind x (B, 2D), `dreams.encoder.x` the dreamed x. */
  readonly dreams: { decoder: VaeDecoder; encoder: VaeEncoder; noise: GPUBuffer; logq: GPUBuffer };
  /** (3): mean ELBO, KL, log p(x|z) of the wake phase's minibatch (ELBO_METRICS). */
  readonly metrics: GPUBuffer;
  /** The first step whose metrics or parameters held NaN or ±Inf (as SgvbStep's; checkOptimizerState() for the state). */
  readonly nonFinite: NonFiniteFlags;
  /** Steps completed so far; the next step is number `step + 1`. */
  step = 0;
  readonly B: number;
  private readonly ctx: GpuContext;
  private readonly dispatches: KernelDispatch[];
  private readonly optimizer: OptimizerKernel;
  private readonly randomness: PhiloxNormalKernel[];
  private readonly learningRate: (step: number) => number;
  private readonly buffers: BufferSet;
  private readonly stateChecks: KernelDispatch[];

  constructor(model: ModelBuffers, options: WakeSleepStepOptions) {
    const ctx = model.gpu;
    this.ctx = ctx;
    this.model = model;
    this.learningRate = options.learningRate ?? (() => options.optimizer.lr);
    const { B } = options;
    const { architecture: arch, layout } = model;
    const { D, Z } = arch;
    const likelihood = arch.likelihood ?? 'bernoulli';
    this.B = B;
    const philox = (options.noise ?? 'philox') === 'philox';
    this.forward = new VaeForward(model, { B, noise: philox ? { seed: options.seed, stream: RANDOM_STREAMS.latentNoise } : null, label: 'wake' });
    this.buffers = new BufferSet(ctx);
    const own = (label: string, floats: number) => this.buffers.storage(label, floats);
    this.grads = own('grads', layout.P);
    this.metrics = own('metrics', ELBO_METRICS.count);
    this.nonFinite = new NonFiniteFlags(ctx, 'wake-sleep non-finite flags');
    // The update flags the parameters it writes (the parameters' non-finite check rides on it).
    const optimizer = createOptimizer(ctx, options.optimizer, layout.P, model.params, this.grads, this.nonFinite);
    this.optimizer = optimizer.kernel;
    this.optimizerState = optimizer.state;
    const tensor = (source: GPUBuffer, name: string) => tensorIn(layout, source, name);
    const layers = vaeLayers(arch);
    const d: KernelDispatch[] = [...this.forward.dispatches];
    const f = this.forward;

    // A chain [first … last] walked back from ∂loss/∂pre of `last`, stopping at the chain's input (not needed).
    const chainBackward = (chain: DenseLayer[], inputs: GPUBuffer[], dLast: GPUBuffer, tag: string) => {
      const dPre = chain.map((l, i) => (i === chain.length - 1 ? dLast : own(`${tag} ${l.name} dPre`, B * l.outputs)));
      denseChainBackward(model, chain, B, { inputs, dPre, dInput: null, grads: this.grads, into: d });
    };

    // Wake: the decoder fits the data at z ~ q(z|x); the KL only enters the reported ELBO.
    const decoderChain = [...layers.decoder, layers.out];
    chainBackward(decoderChain, [f.decoder.z, ...f.decoder.hidden], f.dLogits, 'wake');
    if (f.dLogVarRows !== null) d.push(columnSum(ctx, { M: B, N: D, a: { buffer: f.dLogVarRows }, out: tensor(this.grads, DECODER_LOG_VARIANCE) }, 'decoder.logvar grad'));
    const klRows = own('kl', B);
    d.push(klDivergence(ctx, { B, Z, scale: 1 / B, stats: { buffer: f.encoder.stats }, kl: { buffer: klRows }, dStats: { buffer: own('kl dStats (unused)', B * 2 * Z) } }).dispatch);
    d.push(elboMean(ctx, { B, logp: { buffer: f.logp }, kl: { buffer: klRows }, metrics: { buffer: this.metrics } }));

    // Sleep: dream (z, x) from the generative model, then the encoder fits z given x.
    const decoder = new VaeDecoder(model, B, 'sleep');
    const encoder = new VaeEncoder(model, B, 'sleep');
    const noise = own('sleep noise', B * 2 * D);
    const logq = own('sleep log q', B);
    this.dreams = { decoder, encoder, noise, logq };
    const dreamNoise = philox
      ? [philoxNormal(ctx, { n: B * Z, seed: options.seed, stream: RANDOM_STREAMS.sleepLatents, out: { buffer: decoder.z } }, 'sleep z'),
        philoxNormal(ctx, { n: B * 2 * D, seed: options.seed, stream: RANDOM_STREAMS.sleepData, out: { buffer: noise } }, 'sleep x noise')]
      : [];
    this.randomness = this.forward.noise === null ? dreamNoise : [this.forward.noise, ...dreamNoise];
    d.push(...dreamNoise.map((k) => k.dispatch), ...decoder.dispatches);
    d.push(decoderSample(ctx, { B, D, likelihood, minLogVar: minLogVarianceOf(arch), out: { buffer: decoder.logits }, noise: { buffer: noise },
      logVar: likelihood === 'gaussian-shared-variance' ? tensor(model.params, DECODER_LOG_VARIANCE) : undefined, x: { buffer: encoder.x } }));
    d.push(...encoder.dispatches);
    const dStats = own('sleep dStats', B * 2 * Z);
    const dRaw = own('sleep dRaw', B * 2 * Z);
    // The Gaussian head keeps log σ² inside (−BOUND, BOUND), so this floor never binds.
    d.push(gaussianMlpLikelihood(ctx, { B, D: Z, scale: 1 / B, minLogVar: -LOG_VARIANCE_BOUND, mean: 'identity', out: { buffer: encoder.stats }, x: { buffer: decoder.z },
      logp: { buffer: logq }, dOut: { buffer: dStats } }, 'sleep log q'));
    d.push(gaussianHeadBackward(ctx, { B, Z, raw: { buffer: encoder.raw }, dStats: { buffer: dStats }, dRaw: { buffer: dRaw } }, 'sleep gaussian_head backward'));
    const encoderChain = [...layers.encoder, layers.head];
    chainBackward(encoderChain, [encoder.x, ...encoder.hidden], dRaw, 'sleep');

    d.push(this.optimizer.dispatch);
    // Last, on what the step leaves behind, as SgvbStep does.
    d.push(firstNonFinite(ctx, { N: ELBO_METRICS.count, quantity: 'loss', values: { buffer: this.metrics }, flags: this.nonFinite }));
    this.stateChecks = Object.entries(this.optimizerState).map(([name, buffer]) =>
      firstNonFinite(ctx, { N: layout.P, quantity: 'optimizerState', values: { buffer }, flags: this.nonFinite }, `first_non_finite optimizer ${name}`));
    this.dispatches = d;
  }

  /** Queues a check of the optimizer state after the steps so far (SgvbStep.checkOptimizerState). */
  checkOptimizerState(): void {
    if (this.step === 0 || this.stateChecks.length === 0) return;
    this.nonFinite.setStep(this.step);
    submitDispatches(this.ctx, this.stateChecks, 'optimizer state check');
  }

  /** The launches of one step, in order (for benchmarks and debugging). */
  get plan(): readonly KernelDispatch[] {
    return this.dispatches;
  }

  /**
   * Queues one step whose minibatch is put in place by `recordInput` (a copy into `forward.encoder.x`): sets the
   * step's uniforms and submits ONE command buffer — input, step, then `extra`. Returns at once.
   */
  submitWith(recordInput: (encoder: GPUCommandEncoder) => void, extra?: (encoder: GPUCommandEncoder) => void): void {
    const next = this.step + 1;
    for (const k of this.randomness) k.setStep(next);
    this.optimizer.setStep(next, this.learningRate(next));
    this.nonFinite.setStep(next);
    const encoder = this.ctx.device.createCommandEncoder({ label: `wake-sleep step ${next}` });
    recordInput(encoder);
    encodeDispatches(encoder, this.dispatches, 'wake-sleep step');
    extra?.(encoder);
    this.ctx.device.queue.submit([encoder.finish()]);
    this.step = next;
  }

  /** Queues one step on `batch` (B·D floats, row-major), uploaded with a queue write. */
  submit(batch: Float32Array, extra?: (encoder: GPUCommandEncoder) => void): void {
    const expected = this.B * this.model.architecture.D;
    if (batch.length !== expected) throw new Error(`aevb: a minibatch must hold B·D = ${expected} floats, got ${batch.length}`);
    this.ctx.device.queue.writeBuffer(this.forward.encoder.x, 0, batch);
    this.submitWith(() => {}, extra);
  }

  /** Frees the step's buffers and the optimizer state; the model's parameters stay. */
  destroy(): void {
    this.forward.destroy();
    this.dreams.decoder.destroy();
    this.dreams.encoder.destroy();
    this.buffers.destroy();
    this.nonFinite.destroy();
    for (const b of Object.values(this.optimizerState)) b.destroy();
  }
}
