/**
 * One SGVB training step (estimator B: analytic KL, L = 1) as a fixed plan of kernel launches, built once and
 * replayed: forward, ELBO, backward and optimizer update are encoded into ONE command buffer and submitted
 * with no CPU wait. The minibatch mean ELBO / KL / log p land in `metrics` on the GPU; reading them is the
 * caller's (asynchronous, occasional) business.
 *
 * Shapes (docs/conventions.md): x (B, D); encoder activations (B, H_i); raw, stats (B, 2Z); ε, z (B, Z);
 * decoder activations (B, H_i); logits (B, D). Gradients of activations hold ∂loss/∂(pre-activation).
 */
import type { GpuContext } from '../gpu/device.ts';
import { createStorageBuffer, type TensorBinding } from '../gpu/buffers.ts';
import { encodeDispatches, type KernelDispatch } from '../kernels/kernel.ts';
import { denseBackwardInput, denseBackwardWeight, denseForward } from '../kernels/matmul.ts';
import { columnSum } from '../kernels/column_sum.ts';
import { gaussianHeadBackward, gaussianHeadForward } from '../kernels/gaussian_head.ts';
import { reparameterizeBackward, reparameterizeForward } from '../kernels/reparameterize.ts';
import { klDivergence } from '../kernels/kl_divergence.ts';
import { bernoulliLikelihood } from '../kernels/bernoulli_likelihood.ts';
import { elboMean, ELBO_METRICS } from '../kernels/elbo_mean.ts';
import { philoxNormal, type PhiloxNormalKernel } from '../kernels/philox_normal.ts';
import type { OptimizerKernel } from '../kernels/optimizer.ts';
import { vaeLayers, type DenseLayer, type VaeArchitecture } from '../model/vae_architecture.ts';
import { parameterLayout, type ParameterLayout } from '../model/parameter_layout.ts';
import { createOptimizer, type OptimizerConfig } from './optimizer_config.ts';

/** Philox stream of the latent ε (other random uses of a step take other streams). */
export const LATENT_NOISE_STREAM = 0;

export interface SgvbStepOptions {
  arch: VaeArchitecture;
  /** Minibatch size. */
  B: number;
  optimizer: OptimizerConfig;
  /** The run's seed: ε of step t is Philox(seed, t, stream 0). */
  seed: number | bigint;
  /** 'philox' (training) or 'fixed': ε is whatever the caller wrote into `eps` (tests). */
  noise?: 'philox' | 'fixed';
}

export class SgvbStep {
  readonly layout: ParameterLayout;
  readonly params: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly optimizerState: Record<string, GPUBuffer>;
  /** The minibatch (B, D), written by submit(). */
  readonly x: GPUBuffer;
  readonly eps: GPUBuffer;
  /** (3): mean ELBO, KL, log p(x|z) of the last step (ELBO_METRICS). */
  readonly metrics: GPUBuffer;
  /** Steps completed so far; the next step is number `step + 1`. */
  step = 0;
  private readonly ctx: GpuContext;
  private readonly dispatches: KernelDispatch[];
  private readonly noise: PhiloxNormalKernel | null;
  private readonly optimizer: OptimizerKernel;
  private readonly buffers: GPUBuffer[] = [];
  readonly B: number;
  readonly arch: VaeArchitecture;

  constructor(ctx: GpuContext, options: SgvbStepOptions) {
    this.ctx = ctx;
    const { arch, B } = options;
    this.arch = arch;
    this.B = B;
    const layers = vaeLayers(arch);
    this.layout = parameterLayout(arch);
    const P = this.layout.P;
    const buffer = (label: string, floats: number) => {
      const b = createStorageBuffer(ctx, label, floats);
      this.buffers.push(b);
      return b;
    };
    this.params = buffer('params', P);
    this.grads = buffer('grads', P);
    const optimizer = createOptimizer(ctx, options.optimizer, P, this.params, this.grads);
    this.optimizer = optimizer.kernel;
    this.optimizerState = optimizer.state;
    this.buffers.push(...Object.values(optimizer.state));

    const { D, Z } = arch;
    this.x = buffer('x', B * D);
    this.eps = buffer('eps', B * Z);
    this.metrics = buffer('metrics', ELBO_METRICS.count);
    const raw = buffer('raw', B * 2 * Z);
    const stats = buffer('stats', B * 2 * Z);
    const z = buffer('z', B * Z);
    const logits = buffer('logits', B * D);
    const logp = buffer('logp', B);
    const kl = buffer('kl', B);
    const dLogits = buffer('dLogits', B * D);
    const dz = buffer('dz', B * Z);
    const dStats = buffer('dStats', B * 2 * Z);
    const dRaw = buffer('dRaw', B * 2 * Z);
    const outputOf = (l: DenseLayer) => buffer(`${l.name} output`, B * l.outputs);
    const gradientOf = (l: DenseLayer) => buffer(`${l.name} dPre`, B * l.outputs);
    const encoderOut = layers.encoder.map(outputOf);
    const encoderGrad = layers.encoder.map(gradientOf);
    const decoderOut = layers.decoder.map(outputOf);
    const decoderGrad = layers.decoder.map(gradientOf);

    const tensor = (source: GPUBuffer, name: string): TensorBinding => {
      const e = this.layout.byName(name);
      return { buffer: source, offset: e.offset * 4, size: e.size * 4 };
    };
    const d: KernelDispatch[] = [];
    const forward = (l: DenseLayer, input: GPUBuffer, output: GPUBuffer) =>
      d.push(denseForward(ctx, { B, inputs: l.inputs, outputs: l.outputs, activation: l.activation, x: { buffer: input },
        weight: tensor(this.params, `${l.name}.weight`), bias: tensor(this.params, `${l.name}.bias`), y: { buffer: output } }, `${l.name} forward`));
    // Gradients of a layer whose ∂loss/∂pre is dPre: its weight and bias, and (optionally) the gradient into its
    // input, already multiplied by the derivative of the activation that produced that input.
    const backward = (l: DenseLayer, input: GPUBuffer, inputActivation: DenseLayer['activation'], dPre: GPUBuffer, dInput: GPUBuffer | null) => {
      d.push(denseBackwardWeight(ctx, { B, inputs: l.inputs, outputs: l.outputs, x: { buffer: input }, dPre: { buffer: dPre }, dWeight: tensor(this.grads, `${l.name}.weight`) }, `${l.name} dW`));
      d.push(columnSum(ctx, { M: B, N: l.outputs, a: { buffer: dPre }, out: tensor(this.grads, `${l.name}.bias`) }, `${l.name} db`));
      if (dInput !== null) {
        d.push(denseBackwardInput(ctx, { B, inputs: l.inputs, outputs: l.outputs, dPre: { buffer: dPre }, weight: tensor(this.params, `${l.name}.weight`),
          x: { buffer: input }, dx: { buffer: dInput }, inputActivation }, `${l.name} dX`));
      }
    };

    this.noise = (options.noise ?? 'philox') === 'philox'
      ? philoxNormal(ctx, { n: B * Z, seed: options.seed, stream: LATENT_NOISE_STREAM, out: { buffer: this.eps } }, 'latent noise')
      : null;
    if (this.noise) d.push(this.noise.dispatch);

    // Forward.
    let h = this.x;
    layers.encoder.forEach((l, i) => { forward(l, h, encoderOut[i]); h = encoderOut[i]; });
    forward(layers.head, h, raw);
    d.push(gaussianHeadForward(ctx, { B, Z, raw: { buffer: raw }, stats: { buffer: stats } }));
    d.push(reparameterizeForward(ctx, { B, Z, stats: { buffer: stats }, eps: { buffer: this.eps }, z: { buffer: z } }));
    h = z;
    layers.decoder.forEach((l, i) => { forward(l, h, decoderOut[i]); h = decoderOut[i]; });
    forward(layers.out, h, logits);
    d.push(bernoulliLikelihood(ctx, { B, D, scale: 1 / B, logits: { buffer: logits }, x: { buffer: this.x }, logp: { buffer: logp }, dLogits: { buffer: dLogits } }));

    // Backward through the decoder: each layer's input is the previous decoder output, or z for the first.
    const decoderInput = (i: number) => (i === 0 ? z : decoderOut[i - 1]);
    const decoderInputActivation = (i: number) => (i === 0 ? 'identity' as const : layers.decoder[i - 1].activation);
    const nDec = layers.decoder.length;
    backward(layers.out, decoderInput(nDec), decoderInputActivation(nDec), dLogits, nDec === 0 ? dz : decoderGrad[nDec - 1]);
    for (let i = nDec - 1; i >= 0; i--) {
      backward(layers.decoder[i], decoderInput(i), decoderInputActivation(i), decoderGrad[i], i === 0 ? dz : decoderGrad[i - 1]);
    }
    // Through the latent layer: reparameterisation writes dStats, the KL adds its own gradient.
    d.push(reparameterizeBackward(ctx, { B, Z, stats: { buffer: stats }, eps: { buffer: this.eps }, dz: { buffer: dz }, dStats: { buffer: dStats } }));
    d.push(klDivergence(ctx, { B, Z, scale: 1 / B, stats: { buffer: stats }, kl: { buffer: kl }, dStats: { buffer: dStats } }));
    d.push(gaussianHeadBackward(ctx, { B, Z, raw: { buffer: raw }, dStats: { buffer: dStats }, dRaw: { buffer: dRaw } }));
    // Backward through the encoder; nothing needs ∂loss/∂x.
    const nEnc = layers.encoder.length;
    const encoderInput = (i: number) => (i === 0 ? this.x : encoderOut[i - 1]);
    const encoderInputActivation = (i: number) => (i === 0 ? 'identity' as const : layers.encoder[i - 1].activation);
    backward(layers.head, encoderInput(nEnc), encoderInputActivation(nEnc), dRaw, nEnc === 0 ? null : encoderGrad[nEnc - 1]);
    for (let i = nEnc - 1; i >= 0; i--) {
      backward(layers.encoder[i], encoderInput(i), encoderInputActivation(i), encoderGrad[i], i === 0 ? null : encoderGrad[i - 1]);
    }

    d.push(elboMean(ctx, { B, logp: { buffer: logp }, kl: { buffer: kl }, metrics: { buffer: this.metrics } }));
    d.push(this.optimizer.dispatch);
    this.dispatches = d;
  }

  /** The launches of one step, in order (for benchmarks and debugging). */
  get plan(): readonly KernelDispatch[] {
    return this.dispatches;
  }

  /**
   * Queues one step on `batch` (B·D floats, row-major): uploads it, sets the step's uniforms and submits one
   * command buffer. Returns at once; the GPU runs the step in order with everything queued before it.
   */
  submit(batch: Float32Array): void {
    const expected = this.B * this.arch.D;
    if (batch.length !== expected) throw new Error(`aevb: a minibatch must hold B·D = ${this.B}·${this.arch.D} = ${expected} floats, got ${batch.length}`);
    const queue = this.ctx.device.queue;
    queue.writeBuffer(this.x, 0, batch);
    const next = this.step + 1;
    this.noise?.setStep(next);
    this.optimizer.setStep(next);
    const encoder = this.ctx.device.createCommandEncoder({ label: `sgvb step ${next}` });
    encodeDispatches(encoder, this.dispatches, 'sgvb step');
    queue.submit([encoder.finish()]);
    this.step = next;
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
  }
}
