/**
 * The VAE's network as a chain of layers; by default the MLP of Kingma & Welling's experiments, dense layers:
 *   x (B, D) → encoder.0 … encoder.{n−1} (activation) → encoder.head (identity) → [μ | raw log σ²] (B, 2Z)
 *   z (B, Z) → decoder.0 … decoder.{n−1} (activation, the encoder's widths reversed) → decoder.out (identity)
 *   → Bernoulli logits (B, D); or, for the paper's Gaussian decoder, [mean logits | log σ²] (B, 2D); or, for
 *   the shared-variance Gaussian decoder, the mean's logits (B, D) and one learned log σ² per output.
 * Other architectures (convolutional ones) are data, `arch` (src/model/layer_specs.ts), resolved here into layers
 * whose shapes are checked, each error naming the layer. Rows of convolutions are NCHW, so a reshape is free and
 * has no layer of its own in the chain: it only sets the image shape the next convolution reads.
 */
import type { Activation } from '../kernels/activation.ts';
import { conv2dOutputSize, convTranspose2dOutputSize } from '../kernels/conv2d.ts';
import {
  DEFAULT_ARCH,
  SHORT_FORM_CONV,
  describeSpec,
  imageShapeOf,
  parseArch,
  shortFormChannels,
  type ArchSpec,
  type ImageShape,
  type LayerList,
  type LayerSpec,
} from './layer_specs.ts';

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
  /** The layers as data (layer_specs.ts): 'mlp' (default: `hidden` mirrored), a 'conv:C1,C2,…' short form or a layer list. */
  arch?: ArchSpec;
  /** (C, H, W) of a row, for convolutions; absent or null: one channel, √D × √D (refused when D is no square). */
  imageShape?: ImageShape | null;
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

interface LayerBase {
  /** Parameter name prefix: `${name}.weight` and `${name}.bias` (outChannels or outputs). */
  name: string;
  /** Floats per row read and written. */
  inputs: number;
  outputs: number;
  activation: Activation;
}

/** y = act(x · W + b): weight (inputs, outputs). */
export interface DenseLayer extends LayerBase {
  kind: 'dense';
}

/**
 * A 2-D convolution over NCHW rows, PyTorch's nn.Conv2d (weight (outChannels, inChannels, k, k)) or
 * nn.ConvTranspose2d (weight (inChannels, outChannels, k, k), output_padding 0); bias (outChannels).
 */
export interface ConvLayer extends LayerBase {
  kind: 'conv' | 'conv-transpose';
  inChannels: number;
  inHeight: number;
  inWidth: number;
  outChannels: number;
  outHeight: number;
  outWidth: number;
  kernel: number;
  stride: number;
  padding: number;
}

export type ChainLayer = DenseLayer | ConvLayer;

export interface VaeLayers {
  encoder: ChainLayer[];
  /** Dense → 2Z: [μ | raw log σ²]. */
  head: DenseLayer;
  decoder: ChainLayer[];
  /** The decoder's last layer: decoderOutputs(arch) floats per row. */
  out: ChainLayer;
}

/** The layer's weight shape as the parameters store it (dense (in, out); convolutions PyTorch's). */
export function weightShape(layer: ChainLayer): number[] {
  switch (layer.kind) {
    case 'dense':
      return [layer.inputs, layer.outputs];
    case 'conv':
      return [layer.outChannels, layer.inChannels, layer.kernel, layer.kernel];
    case 'conv-transpose':
      return [layer.inChannels, layer.outChannels, layer.kernel, layer.kernel];
  }
}

/** The bias's length: a dense layer's outputs, a convolution's output channels. */
export function biasSize(layer: ChainLayer): number {
  return layer.kind === 'dense' ? layer.outputs : layer.outChannels;
}

/** The encoder's and decoder's layers as data: the short forms expanded (layer_specs.ts). */
export function layerListOf(arch: VaeArchitecture): LayerList {
  // Checked field by field whatever its origin (a flag, a config file, a checkpoint, a library caller).
  const spec = parseArch(arch.arch ?? DEFAULT_ARCH);
  if (typeof spec !== 'string') return spec;
  const dense = (outputs: number): LayerSpec => ({ type: 'dense', outputs });
  const reversed = [...arch.hidden].reverse();
  const channels = shortFormChannels(spec);
  if (channels === null) return { encoder: arch.hidden.map(dense), decoder: [...reversed.map(dense), dense(arch.D)] };
  const image = imageShapeOf(arch.D, arch.imageShape);
  if (image === null) throw new Error(`aevb: arch ${spec} ${NOT_AN_IMAGE(arch.D)}`);
  const [C, H, W] = image;
  const { kernel, stride, padding } = SHORT_FORM_CONV;
  let [h, w] = [H, W];
  for (const _ of channels)
    [h, w] = [conv2dOutputSize(h, kernel, stride, padding), conv2dOutputSize(w, kernel, stride, padding)];
  const last = channels[channels.length - 1];
  const conv = (type: 'conv' | 'conv-transpose', c: number): LayerSpec => ({
    type,
    channels: c,
    kernel,
    stride,
    padding,
  });
  return {
    encoder: [...channels.map((c) => conv('conv', c)), ...arch.hidden.map(dense)],
    decoder: [
      ...reversed.map(dense),
      dense(last * h * w),
      { type: 'reshape', shape: [last, h, w] },
      ...[...channels.slice(0, -1).reverse(), C].map((c) => conv('conv-transpose', c)),
    ],
  };
}

const NOT_AN_IMAGE = (D: number) =>
  `needs rows as images, but D = ${D} is not a square (one channel of √D × √D is assumed only then): give the image shape, --image-shape C,H,W (imageShape in a config)`;

/** The shape of what flows between layers: floats per row, and the image they are when a convolution made them. */
interface FlowShape {
  size: number;
  image: ImageShape | null;
}

/**
 * The layers of one side resolved from their specs, starting from `input`; parameter layers are named
 * `${side}.0`, `${side}.1`, … and, with `outName`, the last one that. Errors name the layer and its input.
 */
function resolveSide(
  side: 'encoder' | 'decoder',
  specs: readonly LayerSpec[],
  input: FlowShape,
  defaultActivation: Activation,
  outName: string | null,
): { layers: ChainLayer[]; output: FlowShape } {
  const layers: ChainLayer[] = [];
  let shape = input;
  let index = 0;
  const shown = (s: FlowShape) => (s.image ? `${s.image.join('×')} = ${s.size} values` : `a row of ${s.size} values`);
  specs.forEach((spec, i) => {
    const where = `aevb: arch ${side} layer ${i + 1} (${describeSpec(spec)})`;
    const isOut = outName !== null && i === specs.length - 1;
    if (spec.type === 'reshape') {
      if (isOut)
        throw new Error(`${where}: the decoder must end with its output layer (dense or convolution), not a reshape`);
      const [C, H, W] = spec.shape;
      if (C * H * W !== shape.size)
        throw new Error(`${where}: its input is ${shown(shape)}, but ${C}×${H}×${W} holds ${C * H * W}`);
      shape = { size: shape.size, image: [C, H, W] };
      return;
    }
    if (isOut && spec.activation !== undefined && spec.activation !== 'identity')
      throw new Error(
        `${where}: it is the output layer (decoder.out), whose outputs are logits: its activation is identity, not '${spec.activation}'`,
      );
    const name = isOut ? outName : `${side}.${index++}`;
    const activation: Activation = isOut ? 'identity' : (spec.activation ?? defaultActivation);
    if (spec.type === 'dense') {
      layers.push({ kind: 'dense', name, inputs: shape.size, outputs: spec.outputs, activation });
      shape = { size: spec.outputs, image: null };
      return;
    }
    if (shape.image === null) {
      throw new Error(
        side === 'encoder' && layers.length === 0
          ? `${where} ${NOT_AN_IMAGE(shape.size)}`
          : `${where}: its input is a flat row of ${shape.size} values, not an image: put a reshape to [channels, height, width] before it`,
      );
    }
    const [inChannels, inHeight, inWidth] = shape.image;
    const stride = spec.stride ?? 1;
    const padding = spec.padding ?? 0;
    const size = spec.type === 'conv' ? conv2dOutputSize : convTranspose2dOutputSize;
    const outHeight = size(inHeight, spec.kernel, stride, padding);
    const outWidth = size(inWidth, spec.kernel, stride, padding);
    if (outHeight < 1 || outWidth < 1) {
      const formula =
        spec.type === 'conv' ? '⌊(in + 2·padding − kernel) / stride⌋ + 1' : '(in − 1)·stride − 2·padding + kernel';
      throw new Error(
        `${where} does not fit its input ${inChannels}×${inHeight}×${inWidth}: its output would be ${outHeight}×${outWidth} (${formula})`,
      );
    }
    const outputs = spec.channels * outHeight * outWidth;
    layers.push({
      kind: spec.type,
      name,
      inputs: shape.size,
      outputs,
      activation,
      inChannels,
      inHeight,
      inWidth,
      outChannels: spec.channels,
      outHeight,
      outWidth,
      kernel: spec.kernel,
      stride,
      padding,
    });
    shape = { size: outputs, image: [spec.channels, outHeight, outWidth] };
  });
  return { layers, output: shape };
}

export function vaeLayers(arch: VaeArchitecture): VaeLayers {
  checkArchitecture(arch);
  const list = layerListOf(arch);
  const image =
    list.encoder.length > 0 && list.encoder[0].type !== 'dense' ? imageShapeOf(arch.D, arch.imageShape) : null;
  const encoder = resolveSide('encoder', list.encoder, { size: arch.D, image }, arch.activation, null);
  const decoder = resolveSide('decoder', list.decoder, { size: arch.Z, image: null }, arch.activation, 'decoder.out');
  const out = decoder.layers.at(-1)!;
  if (decoder.output.size !== arch.D) {
    const made = decoder.output.image
      ? `${decoder.output.image.join('×')} = ${decoder.output.size}`
      : `${decoder.output.size}`;
    throw new Error(
      `aevb: arch decoder's output layer decoder.out (decoder layer ${list.decoder.length}: ${describeSpec(list.decoder.at(-1)!)}) ` +
        `makes ${made} values per row, but rows have D = ${arch.D}` +
        (arch.likelihood === 'gaussian'
          ? " (the paper's Gaussian decoder doubles them into [mean | log σ²] itself)"
          : ''),
    );
  }
  const factor = decoderOutputs(arch) / arch.D;
  const doubled: ChainLayer =
    out.kind === 'dense'
      ? { ...out, outputs: out.outputs * factor }
      : { ...out, outputs: out.outputs * factor, outChannels: out.outChannels * factor };
  return {
    encoder: encoder.layers,
    head: {
      kind: 'dense',
      name: 'encoder.head',
      inputs: encoder.output.size,
      outputs: 2 * arch.Z,
      activation: 'identity',
    },
    decoder: decoder.layers.slice(0, -1),
    out: doubled,
  };
}

/** All layers in forward order. */
export function allLayers(layers: VaeLayers): ChainLayer[] {
  return [...layers.encoder, layers.head, ...layers.decoder, layers.out];
}

function checkArchitecture(arch: VaeArchitecture): void {
  const sizes: Record<string, number> = { D: arch.D, Z: arch.Z };
  arch.hidden.forEach((h, i) => (sizes[`hidden[${i}]`] = h));
  for (const [name, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`aevb: model ${name} must be a positive integer, got ${v}`);
  }
}
