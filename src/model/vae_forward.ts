/**
 * The forward pass of the VAE for a minibatch of B rows, as recorded kernel launches over buffers it owns:
 *   [ε ← Philox] → encoder layers → head → Gaussian head → z = μ + σ ε → decoder layers → logits
 *   → log p(x|z) per row (Bernoulli, or Gaussian with learned log-variances) and ∂loss/∂logits (scale 1/B)
 * The KL kernel is left to the caller, because in a training step it must run after the reparameterisation
 * backward (it adds its gradient to what that one writes). Shapes: docs/conventions.md.
 */
import type { GpuContext } from '../gpu/device.ts';
import { createStorageBuffer, type TensorBinding } from '../gpu/buffers.ts';
import type { KernelDispatch } from '../kernels/kernel.ts';
import { denseForward } from '../kernels/matmul.ts';
import { gaussianHeadForward } from '../kernels/gaussian_head.ts';
import { reparameterizeForward } from '../kernels/reparameterize.ts';
import { bernoulliLikelihood } from '../kernels/bernoulli_likelihood.ts';
import { gaussianLikelihood } from '../kernels/gaussian_likelihood.ts';
import { philoxNormal, type PhiloxNormalKernel } from '../kernels/philox_normal.ts';
import { vaeLayers, type DenseLayer, type VaeArchitecture, type VaeLayers } from './vae_architecture.ts';
import { DECODER_LOG_VARIANCE, type ParameterLayout } from './parameter_layout.ts';

export interface VaeForwardOptions {
  arch: VaeArchitecture;
  layout: ParameterLayout;
  /** The flat parameter buffer (shared with whoever trains it). */
  params: GPUBuffer;
  B: number;
  /** ε from Philox(seed, step, stream) each submission, or null: the caller writes `eps` itself. */
  noise: { seed: number | bigint; stream: number } | null;
  label: string;
  /** The likelihood gradient's scale; default 1/B (the mean over rows). IWAE takes 1 and weighs rows later. */
  likelihoodScale?: number;
}

export class VaeForward {
  readonly layers: VaeLayers;
  readonly B: number;
  /** Input minibatch (B, D). */
  readonly x: GPUBuffer;
  readonly eps: GPUBuffer;
  readonly raw: GPUBuffer;
  readonly stats: GPUBuffer;
  readonly z: GPUBuffer;
  readonly logits: GPUBuffer;
  readonly logp: GPUBuffer;
  readonly kl: GPUBuffer;
  readonly dLogits: GPUBuffer;
  readonly dStats: GPUBuffer;
  /** Gaussian decoder only: ∂loss/∂log σ² per datapoint and output (B, D), to be summed over the batch. */
  readonly dLogVarRows: GPUBuffer | null = null;
  /** Outputs of the hidden layers, (B, H_i). */
  readonly encoderOut: GPUBuffer[];
  readonly decoderOut: GPUBuffer[];
  /** x → stats: the encoder layers, the head and the Gaussian head. */
  readonly encoderDispatches: KernelDispatch[] = [];
  /** [ε ←] Philox, z = μ + σ ε, the decoder layers and the Bernoulli likelihood: what a new sample of z repeats. */
  readonly sampleDispatches: KernelDispatch[] = [];
  readonly noise: PhiloxNormalKernel | null;
  private readonly buffers: GPUBuffer[] = [];
  private readonly ctx: GpuContext;
  private readonly options: VaeForwardOptions;

  constructor(ctx: GpuContext, options: VaeForwardOptions) {
    this.ctx = ctx;
    this.options = options;
    const { arch, B, label } = options;
    const { D, Z } = arch;
    this.B = B;
    this.layers = vaeLayers(arch);
    this.x = this.buffer(`${label} x`, B * D);
    this.eps = this.buffer(`${label} eps`, B * Z);
    this.raw = this.buffer(`${label} raw`, B * 2 * Z);
    this.stats = this.buffer(`${label} stats`, B * 2 * Z);
    this.z = this.buffer(`${label} z`, B * Z);
    this.logits = this.buffer(`${label} logits`, B * D);
    this.logp = this.buffer(`${label} logp`, B);
    this.kl = this.buffer(`${label} kl`, B);
    this.dLogits = this.buffer(`${label} dLogits`, B * D);
    this.dStats = this.buffer(`${label} dStats`, B * 2 * Z);
    this.encoderOut = this.layers.encoder.map((l) => this.buffer(`${label} ${l.name} output`, B * l.outputs));
    this.decoderOut = this.layers.decoder.map((l) => this.buffer(`${label} ${l.name} output`, B * l.outputs));

    let d = this.encoderDispatches;
    let h = this.x;
    this.layers.encoder.forEach((l, i) => { this.dense(d, l, h, this.encoderOut[i]); h = this.encoderOut[i]; });
    this.dense(d, this.layers.head, h, this.raw);
    d.push(gaussianHeadForward(ctx, { B, Z, raw: { buffer: this.raw }, stats: { buffer: this.stats } }));
    d = this.sampleDispatches;
    this.noise = options.noise === null
      ? null
      : philoxNormal(ctx, { n: B * Z, seed: options.noise.seed, stream: options.noise.stream, out: { buffer: this.eps } }, `${label} noise`);
    if (this.noise) d.push(this.noise.dispatch);
    d.push(reparameterizeForward(ctx, { B, Z, stats: { buffer: this.stats }, eps: { buffer: this.eps }, z: { buffer: this.z } }));
    h = this.z;
    this.layers.decoder.forEach((l, i) => { this.dense(d, l, h, this.decoderOut[i]); h = this.decoderOut[i]; });
    this.dense(d, this.layers.out, h, this.logits);
    if (arch.likelihood === 'gaussian') {
      this.dLogVarRows = this.buffer(`${label} dLogVar rows`, B * D);
      d.push(gaussianLikelihood(ctx, { B, D, scale: options.likelihoodScale ?? 1 / B, logits: { buffer: this.logits }, x: { buffer: this.x }, logVar: this.tensor(options.params, DECODER_LOG_VARIANCE),
        logp: { buffer: this.logp }, dLogits: { buffer: this.dLogits }, dLogVar: { buffer: this.dLogVarRows } }));
    } else {
      d.push(bernoulliLikelihood(ctx, { B, D, scale: options.likelihoodScale ?? 1 / B, logits: { buffer: this.logits }, x: { buffer: this.x }, logp: { buffer: this.logp }, dLogits: { buffer: this.dLogits } }));
    }
  }

  /** The range of `source` (params, grads, …) that holds tensor `name` of the layout. */
  tensor(source: GPUBuffer, name: string): TensorBinding {
    const e = this.options.layout.byName(name);
    return { buffer: source, offset: e.offset * 4, size: e.size * 4 };
  }

  /** The whole forward pass, in order. */
  get dispatches(): KernelDispatch[] {
    return [...this.encoderDispatches, ...this.sampleDispatches];
  }

  private dense(into: KernelDispatch[], l: DenseLayer, input: GPUBuffer, output: GPUBuffer): void {
    const { params } = this.options;
    into.push(denseForward(this.ctx, {
      B: this.B, inputs: l.inputs, outputs: l.outputs, activation: l.activation, x: { buffer: input },
      weight: this.tensor(params, `${l.name}.weight`), bias: this.tensor(params, `${l.name}.bias`), y: { buffer: output },
    }, `${this.options.label} ${l.name} forward`));
  }

  /** A storage buffer this pass owns (freed by destroy()). */
  buffer(label: string, floats: number): GPUBuffer {
    const b = createStorageBuffer(this.ctx, label, floats);
    this.buffers.push(b);
    return b;
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
  }
}
