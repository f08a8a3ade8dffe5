/**
 * The recognition model q(z|x) alone for B rows, as recorded launches over buffers it owns:
 *   x (B, D) → encoder layers → encoder.head → raw [μ | r] (B, 2Z) → Gaussian head → stats [μ | log σ²] (B, 2Z)
 * where log σ² = c·tanh(r / c) is the soft-bounded log-variance the Gaussian head writes.
 */
import { gaussianHeadForward } from '../kernels/gaussian_head.ts';
import type { KernelDispatch } from '../kernels/kernel.ts';
import { BufferSet } from './buffer_set.ts';
import { layerChain } from './layer_chain.ts';
import type { ModelBuffers } from './model_buffers.ts';
import { vaeLayers } from './vae_architecture.ts';

export class VaeEncoder {
  readonly B: number;
  /** Input rows (B, D). */
  readonly x: GPUBuffer;
  /** Outputs of the hidden layers, (B, H_i), input side first. */
  readonly hidden: GPUBuffer[];
  /** The head's output before the Gaussian head (B, 2Z). */
  readonly raw: GPUBuffer;
  /** [μ | log σ²] per row (B, 2Z). */
  readonly stats: GPUBuffer;
  readonly dispatches: KernelDispatch[] = [];
  private readonly buffers: BufferSet;

  constructor(model: ModelBuffers, B: number, label: string) {
    const { D, Z } = model.architecture;
    const layers = vaeLayers(model.architecture);
    this.B = B;
    this.buffers = new BufferSet(model.gpu);
    this.x = this.buffers.storage(`${label} x`, B * D);
    this.raw = this.buffers.storage(`${label} raw`, B * 2 * Z);
    this.stats = this.buffers.storage(`${label} stats`, B * 2 * Z);
    this.hidden = layerChain(model, [...layers.encoder, layers.head], B, {
      input: this.x,
      output: this.raw,
      buffers: this.buffers,
      label,
      into: this.dispatches,
    });
    this.dispatches.push(
      gaussianHeadForward(model.gpu, { B, Z, raw: { buffer: this.raw }, stats: { buffer: this.stats } }),
    );
  }

  destroy(): void {
    this.buffers.destroy();
  }
}
