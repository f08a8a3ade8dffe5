/**
 * The MLP VAE of Kingma & Welling's experiments, as a list of dense layers:
 *   x (B, D) → encoder.0 … encoder.{n−1} (activation) → encoder.head (identity) → [μ | raw log σ²] (B, 2Z)
 *   z (B, Z) → decoder.0 … decoder.{n−1} (activation, the encoder's widths reversed) → decoder.out (identity)
 *   → Bernoulli logits (B, D), or the mean's logits of a Gaussian decoder with a learned log-variance per output
 */
import type { Activation } from '../kernels/activation.ts';

export interface VaeArchitecture {
  /** Data dimension (784 for MNIST). */
  D: number;
  /** Encoder hidden widths, input side first; the decoder mirrors them. [500] is the paper's MNIST model. */
  hidden: number[];
  /** Latent dimension. */
  Z: number;
  /** Activation of every hidden layer. */
  activation: Activation;
  /**
   * p(x|z): 'bernoulli' (default) from logits, or 'gaussian' — mean sigmoid(logits) and a learned
   * log-variance per output, the parameter `decoder.logvar` (D), for real-valued data.
   */
  likelihood?: 'bernoulli' | 'gaussian';
}

export interface DenseLayer {
  /** Parameter name prefix: `${name}.weight` is (inputs, outputs), `${name}.bias` is (outputs). */
  name: string;
  inputs: number;
  outputs: number;
  activation: Activation;
}

export interface VaeLayers {
  encoder: DenseLayer[];
  head: DenseLayer;
  decoder: DenseLayer[];
  out: DenseLayer;
}

export function vaeLayers(arch: VaeArchitecture): VaeLayers {
  checkArchitecture(arch);
  const chain = (prefix: string, first: number, widths: number[]) => {
    const layers: DenseLayer[] = [];
    let inputs = first;
    widths.forEach((outputs, i) => {
      layers.push({ name: `${prefix}.${i}`, inputs, outputs, activation: arch.activation });
      inputs = outputs;
    });
    return layers;
  };
  const encoder = chain('encoder', arch.D, arch.hidden);
  const decoder = chain('decoder', arch.Z, [...arch.hidden].reverse());
  const lastEncoderWidth = encoder.at(-1)?.outputs ?? arch.D;
  const lastDecoderWidth = decoder.at(-1)?.outputs ?? arch.Z;
  return {
    encoder,
    head: { name: 'encoder.head', inputs: lastEncoderWidth, outputs: 2 * arch.Z, activation: 'identity' },
    decoder,
    out: { name: 'decoder.out', inputs: lastDecoderWidth, outputs: arch.D, activation: 'identity' },
  };
}

/** All dense layers in forward order. */
export function allLayers(layers: VaeLayers): DenseLayer[] {
  return [...layers.encoder, layers.head, ...layers.decoder, layers.out];
}

function checkArchitecture(arch: VaeArchitecture): void {
  const sizes: Record<string, number> = { D: arch.D, Z: arch.Z };
  arch.hidden.forEach((h, i) => (sizes[`hidden[${i}]`] = h));
  for (const [name, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`aevb: model ${name} must be a positive integer, got ${v}`);
  }
}
