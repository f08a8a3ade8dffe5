/**
 * The generative model's network alone for B latents, as recorded launches over buffers it owns:
 *   z (B, Z) → decoder layers → decoder.out → logits (B, D), or [mean logits | log σ²] (B, 2D) for the paper's
 *   Gaussian decoder (decoderOutputs)
 * Decoder means are sigmoid of the mean logits (Bernoulli probabilities, or a Gaussian decoder's means).
 */
import type { KernelDispatch } from '../kernels/kernel.ts';
import { BufferSet } from './buffer_set.ts';
import { layerChain } from './layer_chain.ts';
import type { ModelBuffers } from './model_buffers.ts';
import { decoderOutputs, vaeLayers } from './vae_architecture.ts';

export class VaeDecoder {
  readonly B: number;
  /** Input latents (B, Z). */
  readonly z: GPUBuffer;
  /** Outputs of the hidden layers, (B, H_i), latent side first. */
  readonly hidden: GPUBuffer[];
  /** (B, decoderOutputs): the mean logits (B, D), or for the paper's Gaussian decoder rows [mean logits | log σ²] (B, 2D). */
  readonly logits: GPUBuffer;
  readonly dispatches: KernelDispatch[] = [];
  private readonly buffers: BufferSet;

  constructor(model: ModelBuffers, B: number, label: string) {
    const { Z } = model.architecture;
    const layers = vaeLayers(model.architecture);
    this.B = B;
    this.buffers = new BufferSet(model.gpu);
    this.z = this.buffers.storage(`${label} z`, B * Z);
    this.logits = this.buffers.storage(`${label} logits`, B * decoderOutputs(model.architecture));
    this.hidden = layerChain(model, [...layers.decoder, layers.out], B, {
      input: this.z,
      output: this.logits,
      buffers: this.buffers,
      label,
      into: this.dispatches,
    });
  }

  destroy(): void {
    this.buffers.destroy();
  }
}
