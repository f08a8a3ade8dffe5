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
import type { KernelDispatch } from '../kernels/kernel.ts';
import { columnSum } from '../kernels/column_sum.ts';
import { gaussianHeadBackward, LOG_VARIANCE_BOUND } from '../kernels/gaussian_head.ts';
import { klDivergence } from '../kernels/kl_divergence.ts';
import { elboMean, ELBO_METRICS } from '../kernels/elbo_mean.ts';
import { philoxNormal, type PhiloxNormalKernel } from '../kernels/philox_normal.ts';
import { decoderSample } from '../kernels/decoder_sample.ts';
import { gaussianMlpLikelihood } from '../kernels/gaussian_mlp_likelihood.ts';
import { minLogVarianceOf, vaeLayers, type ChainLayer } from '../model/vae_architecture.ts';
import { VaeForward } from '../model/vae_forward.ts';
import { VaeDecoder } from '../model/vae_decoder.ts';
import { VaeEncoder } from '../model/vae_encoder.ts';
import { layerChainBackward } from '../model/layer_chain.ts';
import { BufferSet } from '../model/buffer_set.ts';
import { tensorIn, type ModelBuffers } from '../model/model_buffers.ts';
import { DECODER_LOG_VARIANCE } from '../model/parameter_layout.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import type { OptimizerConfig } from './optimizer_config.ts';
import { TrainingStep } from './training_step.ts';

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

export class WakeSleepStep extends TrainingStep {
  /** (P): the decoder's gradients from the wake phase and the encoder's from the sleep phase, laid out as the parameters. */
  readonly grads: GPUBuffer;
  /** The wake phase: `forward.encoder.x` is the minibatch (B, D), `forward.eps` its ε. */
  readonly forward: VaeForward;
  /** The sleep phase: `dreams.decoder.z` the dreamed z (B, Z), `dreams.noise` the normals behind x (B, 2D), `dreams.encoder.x` the dreamed x. */
  readonly dreams: { decoder: VaeDecoder; encoder: VaeEncoder; noise: GPUBuffer; logq: GPUBuffer };
  /** (3): mean ELBO, KL, log p(x|z) of the wake phase's minibatch (ELBO_METRICS). */
  readonly metrics: GPUBuffer;
  private readonly randomness: PhiloxNormalKernel[];
  private readonly buffers: BufferSet;

  constructor(model: ModelBuffers, options: WakeSleepStepOptions) {
    super(model, options.B, 'wake-sleep', options.learningRate ?? (() => options.optimizer.lr));
    const ctx = model.gpu;
    const { B } = options;
    const { architecture: arch, layout } = model;
    const { D, Z } = arch;
    const likelihood = arch.likelihood ?? 'bernoulli';
    const philox = (options.noise ?? 'philox') === 'philox';
    this.forward = new VaeForward(model, {
      B,
      noise: philox ? { seed: options.seed, stream: RANDOM_STREAMS.latentNoise } : null,
      label: 'wake',
    });
    this.buffers = new BufferSet(ctx);
    const own = (label: string, floats: number) => this.buffers.storage(label, floats);
    this.grads = own('grads', layout.P);
    this.metrics = own('metrics', ELBO_METRICS.count);
    this.useOptimizer(options.optimizer, this.grads);
    const tensor = (source: GPUBuffer, name: string) => tensorIn(layout, source, name);
    const layers = vaeLayers(arch);
    const d: KernelDispatch[] = [...this.forward.dispatches];
    const f = this.forward;

    // A chain [first … last] walked back from ∂loss/∂pre of `last`, stopping at the chain's input (not needed).
    const chainBackward = (chain: ChainLayer[], inputs: GPUBuffer[], dLast: GPUBuffer, tag: string) => {
      const dPre = chain.map((l, i) => (i === chain.length - 1 ? dLast : own(`${tag} ${l.name} dPre`, B * l.outputs)));
      layerChainBackward(model, chain, B, { inputs, dPre, dInput: null, grads: this.grads, into: d });
    };

    // Wake: the decoder fits the data at z ~ q(z|x); the KL only enters the reported ELBO.
    const decoderChain = [...layers.decoder, layers.out];
    chainBackward(decoderChain, [f.decoder.z, ...f.decoder.hidden], f.dLogits, 'wake');
    if (f.dLogVarRows !== null)
      d.push(
        columnSum(
          ctx,
          { M: B, N: D, a: { buffer: f.dLogVarRows }, out: tensor(this.grads, DECODER_LOG_VARIANCE) },
          'decoder.logvar grad',
        ),
      );
    const klRows = own('kl', B);
    d.push(
      klDivergence(ctx, {
        B,
        Z,
        scale: 1 / B,
        stats: { buffer: f.encoder.stats },
        kl: { buffer: klRows },
        dStats: { buffer: own('kl dStats (unused)', B * 2 * Z) },
      }).dispatch,
    );
    d.push(elboMean(ctx, { B, logp: { buffer: f.logp }, kl: { buffer: klRows }, metrics: { buffer: this.metrics } }));

    // Sleep: dream (z, x) from the generative model, then the encoder fits z given x.
    const decoder = new VaeDecoder(model, B, 'sleep');
    const encoder = new VaeEncoder(model, B, 'sleep');
    const noise = own('sleep noise', B * 2 * D);
    const logq = own('sleep log q', B);
    this.dreams = { decoder, encoder, noise, logq };
    const dreamNoise = philox
      ? [
          philoxNormal(
            ctx,
            { n: B * Z, seed: options.seed, stream: RANDOM_STREAMS.sleepLatents, out: { buffer: decoder.z } },
            'sleep z',
          ),
          philoxNormal(
            ctx,
            { n: B * 2 * D, seed: options.seed, stream: RANDOM_STREAMS.sleepData, out: { buffer: noise } },
            'sleep x noise',
          ),
        ]
      : [];
    this.randomness = this.forward.noise === null ? dreamNoise : [this.forward.noise, ...dreamNoise];
    d.push(...dreamNoise.map((k) => k.dispatch), ...decoder.dispatches);
    d.push(
      decoderSample(ctx, {
        B,
        D,
        likelihood,
        minLogVar: minLogVarianceOf(arch),
        out: { buffer: decoder.logits },
        noise: { buffer: noise },
        logVar: likelihood === 'gaussian-shared-variance' ? tensor(model.params, DECODER_LOG_VARIANCE) : undefined,
        x: { buffer: encoder.x },
      }),
    );
    d.push(...encoder.dispatches);
    const dStats = own('sleep dStats', B * 2 * Z);
    const dRaw = own('sleep dRaw', B * 2 * Z);
    // The Gaussian head keeps log σ² inside (−BOUND, BOUND), so this floor never binds.
    d.push(
      gaussianMlpLikelihood(
        ctx,
        {
          B,
          D: Z,
          scale: 1 / B,
          minLogVar: -LOG_VARIANCE_BOUND,
          mean: 'identity',
          out: { buffer: encoder.stats },
          x: { buffer: decoder.z },
          logp: { buffer: logq },
          dOut: { buffer: dStats },
        },
        'sleep log q',
      ),
    );
    d.push(
      gaussianHeadBackward(
        ctx,
        { B, Z, raw: { buffer: encoder.raw }, dStats: { buffer: dStats }, dRaw: { buffer: dRaw } },
        'sleep gaussian_head backward',
      ),
    );
    const encoderChain = [...layers.encoder, layers.head];
    chainBackward(encoderChain, [encoder.x, ...encoder.hidden], dRaw, 'sleep');

    this.setPlan(d);
  }

  protected beginStep(next: number): void {
    for (const k of this.randomness) k.setStep(next);
  }

  protected destroyOwn(): void {
    this.forward.destroy();
    this.dreams.decoder.destroy();
    this.dreams.encoder.destroy();
    this.buffers.destroy();
  }
}
