/**
 * The forward pass of the VAE for a minibatch of B rows, as recorded kernel launches:
 *   encoder (x → stats) → [ε ← Philox] → z = μ + σ ε → decoder (z → logits)
 *   → log p(x|z) per row (Bernoulli, or one of the Gaussian decoders) and ∂loss/∂logits (scale 1/B)
 * The likelihood kernel is fused with its gradient, so its gradient outputs belong to this pass. The KL term
 * is the caller's: in a training step its gradient joins the backward pass at the latent layer (VaeBackward).
 * Shapes: docs/conventions.md.
 */
import type { KernelDispatch } from '../kernels/kernel.ts';
import { reparameterizeForward } from '../kernels/reparameterize.ts';
import { bernoulliLikelihood } from '../kernels/bernoulli_likelihood.ts';
import { gaussianLikelihood } from '../kernels/gaussian_likelihood.ts';
import { gaussianMlpLikelihood } from '../kernels/gaussian_mlp_likelihood.ts';
import { philoxNormal, type PhiloxNormalKernel } from '../kernels/philox_normal.ts';
import { BufferSet } from './buffer_set.ts';
import { tensorIn, type ModelBuffers } from './model_buffers.ts';
import { DECODER_LOG_VARIANCE } from './parameter_layout.ts';
import { VaeDecoder } from './vae_decoder.ts';
import { decoderOutputs, minLogVarianceOf } from './vae_architecture.ts';
import { VaeEncoder } from './vae_encoder.ts';

export interface VaeForwardOptions {
  B: number;
  /** ε from Philox(seed, step, stream) each submission, or null: ε is whatever is in `eps` (zero unless written). */
  noise: { seed: number | bigint; stream: number } | null;
  label: string;
  /** The likelihood gradient's scale; default 1/B (the mean over rows). IWAE takes 1 and weighs rows later. */
  likelihoodScale?: number;
}

export class VaeForward {
  readonly B: number;
  /** x (B, D) → stats [μ | log σ²] (B, 2Z); `encoder.x` is the minibatch. */
  readonly encoder: VaeEncoder;
  /** z (B, Z) → logits (B, D); `decoder.z` is the sampled z. */
  readonly decoder: VaeDecoder;
  /** ε (B, Z). */
  readonly eps: GPUBuffer;
  /** log p(x|z) per row (B). */
  readonly logp: GPUBuffer;
  /** ∂loss/∂(decoder output), laid out as `decoder.logits` (B, decoderOutputs), written with log p by the likelihood kernel. */
  readonly dLogits: GPUBuffer;
  /** Shared-variance Gaussian decoder only: ∂loss/∂log σ² per datapoint and output (B, D), to be summed over the batch. */
  readonly dLogVarRows: GPUBuffer | null = null;
  /** [ε ←] Philox, z = μ + σ ε, the decoder and the likelihood: what a new sample of z repeats. */
  readonly sampleDispatches: KernelDispatch[] = [];
  readonly noise: PhiloxNormalKernel | null;
  private readonly buffers: BufferSet;

  constructor(model: ModelBuffers, options: VaeForwardOptions) {
    const { gpu, architecture: arch } = model;
    const { B, label } = options;
    const { D, Z } = arch;
    this.B = B;
    this.buffers = new BufferSet(gpu);
    this.encoder = new VaeEncoder(model, B, label);
    this.decoder = new VaeDecoder(model, B, label);
    this.eps = this.buffers.storage(`${label} eps`, B * Z);
    this.logp = this.buffers.storage(`${label} logp`, B);
    this.dLogits = this.buffers.storage(`${label} dLogits`, B * decoderOutputs(arch));
    const d = this.sampleDispatches;
    this.noise =
      options.noise === null
        ? null
        : philoxNormal(
            gpu,
            { n: B * Z, seed: options.noise.seed, stream: options.noise.stream, out: { buffer: this.eps } },
            `${label} noise`,
          );
    if (this.noise) d.push(this.noise.dispatch);
    d.push(
      reparameterizeForward(gpu, {
        B,
        Z,
        stats: { buffer: this.encoder.stats },
        eps: { buffer: this.eps },
        z: { buffer: this.decoder.z },
      }),
    );
    d.push(...this.decoder.dispatches);
    const scale = options.likelihoodScale ?? 1 / B;
    const logits = { buffer: this.decoder.logits };
    const x = { buffer: this.encoder.x };
    const minLogVar = minLogVarianceOf(arch);
    if (arch.likelihood === 'gaussian') {
      d.push(
        gaussianMlpLikelihood(gpu, {
          B,
          D,
          scale,
          minLogVar,
          out: logits,
          x,
          logp: { buffer: this.logp },
          dOut: { buffer: this.dLogits },
        }),
      );
    } else if (arch.likelihood === 'gaussian-shared-variance') {
      this.dLogVarRows = this.buffers.storage(`${label} dLogVar rows`, B * D);
      d.push(
        gaussianLikelihood(gpu, {
          B,
          D,
          scale,
          minLogVar,
          logits,
          x,
          logVar: tensorIn(model.layout, model.params, DECODER_LOG_VARIANCE),
          logp: { buffer: this.logp },
          dLogits: { buffer: this.dLogits },
          dLogVar: { buffer: this.dLogVarRows },
        }),
      );
    } else {
      d.push(
        bernoulliLikelihood(gpu, {
          B,
          D,
          scale,
          logits,
          x,
          logp: { buffer: this.logp },
          dLogits: { buffer: this.dLogits },
        }),
      );
    }
  }

  /** x → stats: the encoder layers, the head and the Gaussian head. */
  get encoderDispatches(): readonly KernelDispatch[] {
    return this.encoder.dispatches;
  }

  /** The whole forward pass, in order. */
  get dispatches(): KernelDispatch[] {
    return [...this.encoder.dispatches, ...this.sampleDispatches];
  }

  destroy(): void {
    this.encoder.destroy();
    this.decoder.destroy();
    this.buffers.destroy();
  }
}
