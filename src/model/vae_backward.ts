/**
 * The backward pass of the VAE over a VaeForward's minibatch of B rows, as recorded kernel launches over
 * buffers it owns (llm.c's pairing: this plan beside the forward one):
 *   ∂loss/∂logits (the forward's likelihood kernel writes it) → decoder.out … decoder.0 → dz (B, Z)
 *   → reparameterisation → dStats (B, 2Z) → Gaussian head → dRaw (B, 2Z) → encoder.head … encoder.0
 * Each dense layer writes (never accumulates) its weight's and bias's gradient into `grads` (P, laid out as the
 * parameters) and, unless it is the first of the encoder, ∂loss/∂pre of the layer below. The Gaussian
 * decoder's log-variance gradient is summed over rows last. The KL term's gradient joins at the latent layer
 * through the launches the loss hands to plan(). Gradients of activations hold ∂loss/∂(pre-activation).
 */
import type { KernelDispatch } from '../kernels/kernel.ts';
import { columnSum } from '../kernels/column_sum.ts';
import { gaussianHeadBackward } from '../kernels/gaussian_head.ts';
import { reparameterizeBackward } from '../kernels/reparameterize.ts';
import { BufferSet } from './buffer_set.ts';
import { layerChainBackward } from './layer_chain.ts';
import { tensorIn, type ModelBuffers } from './model_buffers.ts';
import { DECODER_LOG_VARIANCE } from './parameter_layout.ts';
import { vaeLayers, type ChainLayer } from './vae_architecture.ts';
import type { VaeForward } from './vae_forward.ts';

/**
 * The KL term's gradient at the latent layer. Reparameterisation backward overwrites dStats from dz, so
 * whatever adds into dz must run before it and whatever adds into dStats after it.
 */
export interface KlGradient {
  /** Launches that add ∂KL/∂z into `dz` (estimator A's Monte-Carlo KL). */
  beforeReparameterize: KernelDispatch[];
  /** Launches that add ∂KL/∂stats into `dStats` (the analytic KL; estimator A's direct part). */
  afterReparameterize: KernelDispatch[];
}

export class VaeBackward {
  /** (P): ∂loss/∂params, laid out as the parameters. */
  readonly grads: GPUBuffer;
  /** ∂loss/∂z (B, Z). */
  readonly dz: GPUBuffer;
  /** ∂loss/∂[μ | log σ²] (B, 2Z). */
  readonly dStats: GPUBuffer;
  private readonly model: ModelBuffers;
  private readonly forward: VaeForward;
  private readonly buffers: BufferSet;
  private readonly dRaw: GPUBuffer;
  /** ∂loss/∂pre of every hidden layer, (B, H_i). */
  private readonly encoderGrad: GPUBuffer[];
  private readonly decoderGrad: GPUBuffer[];

  constructor(model: ModelBuffers, forward: VaeForward) {
    const { B } = forward;
    const { Z } = model.architecture;
    const layers = vaeLayers(model.architecture);
    this.model = model;
    this.forward = forward;
    this.buffers = new BufferSet(model.gpu);
    this.grads = this.buffers.storage('grads', model.layout.P);
    this.dz = this.buffers.storage('dz', B * Z);
    this.dStats = this.buffers.storage('dStats', B * 2 * Z);
    this.dRaw = this.buffers.storage('dRaw', B * 2 * Z);
    this.encoderGrad = layers.encoder.map((l) => this.buffers.storage(`${l.name} dPre`, B * l.outputs));
    this.decoderGrad = layers.decoder.map((l) => this.buffers.storage(`${l.name} dPre`, B * l.outputs));
  }

  /** The launches of the backward pass, in order, with the KL term's gradient joining at the latent layer. */
  plan(kl: KlGradient): KernelDispatch[] {
    const { gpu, architecture: arch } = this.model;
    const { B, encoder, decoder } = this.forward;
    const { Z, D } = arch;
    const layers = vaeLayers(arch);
    const d: KernelDispatch[] = [];
    this.chain(
      d,
      [...layers.decoder, layers.out],
      [decoder.z, ...decoder.hidden],
      [...this.decoderGrad, this.forward.dLogits],
      this.dz,
    );
    d.push(...kl.beforeReparameterize);
    d.push(
      reparameterizeBackward(gpu, {
        B,
        Z,
        stats: { buffer: encoder.stats },
        eps: { buffer: this.forward.eps },
        dz: { buffer: this.dz },
        dStats: { buffer: this.dStats },
      }),
    );
    d.push(...kl.afterReparameterize);
    d.push(
      gaussianHeadBackward(gpu, {
        B,
        Z,
        raw: { buffer: encoder.raw },
        dStats: { buffer: this.dStats },
        dRaw: { buffer: this.dRaw },
      }),
    );
    // Nothing needs ∂loss/∂x.
    this.chain(
      d,
      [...layers.encoder, layers.head],
      [encoder.x, ...encoder.hidden],
      [...this.encoderGrad, this.dRaw],
      null,
    );
    if (this.forward.dLogVarRows !== null) {
      d.push(
        columnSum(
          gpu,
          { M: B, N: D, a: { buffer: this.forward.dLogVarRows }, out: this.gradient(DECODER_LOG_VARIANCE) },
          'decoder.logvar grad',
        ),
      );
    }
    return d;
  }

  /** Backward through the layers (layerChainBackward) into this pass's gradients. */
  private chain(
    into: KernelDispatch[],
    layers: ChainLayer[],
    inputs: GPUBuffer[],
    dPre: GPUBuffer[],
    dInput: GPUBuffer | null,
  ): void {
    layerChainBackward(this.model, layers, this.forward.B, { inputs, dPre, dInput, grads: this.grads, into });
  }

  private gradient(name: string) {
    return tensorIn(this.model.layout, this.grads, name);
  }

  destroy(): void {
    this.buffers.destroy();
  }
}
