/**
 * The MLP VAE of Kingma & Welling's experiments, as a list of dense layers:
 *   x (B, D) → encoder.0 … encoder.{n−1} (activation) → encoder.head (identity) → [μ | raw log σ²] (B, 2Z)
 *   z (B, Z) → decoder.0 … decoder.{n−1} (activation, the encoder's widths reversed) → decoder.out (identity)
 *   → Bernoulli logits (B, D); or, for the paper's Gaussian decoder, [mean logits | log σ²] (B, 2D); or, for
 *   the shared-variance Gaussian decoder, the mean's logits (B, D) and one learned log σ² per output.
 */
import type { Activation } from '../kernels/activation.ts';

/**
 * The decoders p(x|z):
 * - 'bernoulli': x_d ~ Bernoulli(sigmoid(l_d)), logits l = decoder.out (B, D); for binary data.
 * - 'gaussian': the paper's Gaussian MLP decoder (Kingma & Welling, appendix C.2): decoder.out has 2D outputs,
 *   μ = sigmoid(W₄h + b₄) and log σ² = W₅h + b₅ (floored at minLogVariance), so the variance depends on z.
 * - 'gaussian-shared-variance': μ = sigmoid(decoder.out) and one learned log σ² per output, the parameter
 *   `decoder.logvar` (D), the same for every z (also floored at minLogVariance).
 */
export const LIKELIHOODS = ['bernoulli', 'gaussian', 'gaussian-shared-variance'] as const;
export type Likelihood = (typeof LIKELIHOODS)[number];

/**
 * The default floor on a Gaussian decoder's log σ²: the variance of uniform dequantization noise of 8-bit
 * data, ln(1/(12·256²)) ≈ −13.58. Below it no real-valued pixel of such data is informative, and without a
 * floor a constant pixel drives σ² → 0 and the bound → +∞.
 */
export const DEFAULT_MIN_LOG_VARIANCE = Math.log(1 / (12 * 256 * 256));

/** Accepted floors [low, high): e^40 ≈ 2·10¹⁷ keeps r²/σ² far inside float32 for r ≤ 1. */
export const MIN_LOG_VARIANCE_RANGE = [-40, 10] as const;

export interface VaeArchitecture {
  /** Data dimension (784 for MNIST). */
  D: number;
  /** Encoder hidden widths, input side first; the decoder mirrors them. [500] is the paper's MNIST model. */
  hidden: number[];
  /** Latent dimension. */
  Z: number;
  /** Activation of every hidden layer. */
  activation: Activation;
  /** p(x|z), one of LIKELIHOODS; default 'bernoulli'. */
  likelihood?: Likelihood;
  /** Gaussian decoders: the floor on log σ² (log σ² = max(raw, floor)); default DEFAULT_MIN_LOG_VARIANCE. */
  minLogVariance?: number;
}

/** Whether p(x|z) is one of the Gaussian decoders (real-valued data, a log-variance floor). */
export function isGaussian(arch: VaeArchitecture): boolean {
  return arch.likelihood === 'gaussian' || arch.likelihood === 'gaussian-shared-variance';
}

/** Outputs of decoder.out per datapoint: 2D for the paper's Gaussian decoder ([mean logits | log σ²]), else D. */
export function decoderOutputs(arch: VaeArchitecture): number {
  return arch.likelihood === 'gaussian' ? 2 * arch.D : arch.D;
}

/** The floor on log σ² that a Gaussian decoder of `arch` applies. */
export function minLogVarianceOf(arch: VaeArchitecture): number {
  return arch.minLogVariance ?? DEFAULT_MIN_LOG_VARIANCE;
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
    out: { name: 'decoder.out', inputs: lastDecoderWidth, outputs: decoderOutputs(arch), activation: 'identity' },
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
