/**
 * Architectures as data: the encoder and decoder written as lists of layers, as a config (and so a checkpoint)
 * holds them, and the short forms that expand into such lists.
 *
 *   'mlp'          the paper's MLP: a dense layer per hidden width, the decoder mirrored (the default)
 *   'conv:32,64'   the common convolutional VAE (the PyTorch peer's ConvVAE): conv 1→32 (kernel 4, stride 2,
 *                  padding 1) act, conv 32→64 act, flatten, a dense layer per hidden width; the decoder dense
 *                  layers mirrored, dense → 64·7·7 act, reshape, conv-transpose 64→32 act, conv-transpose 32→C
 *   { encoder: [...], decoder: [...] }   any list of LayerSpecs
 *
 * The encoder list holds the hidden layers; the head `encoder.head` (dense → 2Z) follows it always. The decoder
 * list ends with the output layer `decoder.out`, which makes the rows' D values (identity activation); the paper's
 * Gaussian decoder doubles its outputs (a dense layer's) or its channels (a convolution's) into [mean | log σ²].
 * A convolution's row is NCHW (channel-major, then row-major), so a dense layer reads it as it is (flatten is free).
 */
import { ACTIVATIONS, type Activation } from '../kernels/activation.ts';

/** One layer as written in a config. stride defaults to 1 and padding to 0 (PyTorch's defaults). */
export type LayerSpec =
  | { type: 'dense'; outputs: number; activation?: Activation }
  | {
      type: 'conv' | 'conv-transpose';
      channels: number;
      kernel: number;
      stride?: number;
      padding?: number;
      activation?: Activation;
    }
  | { type: 'reshape'; shape: number[] };

export interface LayerList {
  /** The encoder's hidden layers, data side first (the head follows). */
  encoder: LayerSpec[];
  /** The decoder's layers, latent side first; the last is decoder.out. */
  decoder: LayerSpec[];
}

/** 'mlp', 'conv:C1,C2,…', or a layer list. */
export type ArchSpec = string | LayerList;

/** (channels, height, width) of an image row. */
export type ImageShape = [number, number, number];

export const DEFAULT_ARCH = 'mlp';

/** The convolutions of the `conv:` short form: PyTorch's Conv2d(in, out, 4, 2, 1), which halves height and width. */
export const SHORT_FORM_CONV = { kernel: 4, stride: 2, padding: 1 } as const;

/** The most outputs a dense layer of a list may have: TrainConfig's largest D. */
const MAX_DENSE_OUTPUTS = 1 << 24;

const LAYER_TYPES = ['dense', 'conv', 'conv-transpose', 'reshape'] as const;

/** A LayerSpec as messages name it: "conv 32 (kernel 4, stride 2, padding 1)". */
export function describeSpec(spec: LayerSpec): string {
  switch (spec.type) {
    case 'dense':
      return `dense ${spec.outputs}`;
    case 'reshape':
      return `reshape ${spec.shape.join('×')}`;
    default:
      return `${spec.type} ${spec.channels} (kernel ${spec.kernel}, stride ${spec.stride ?? 1}, padding ${spec.padding ?? 0})`;
  }
}

/** An arch as a config's reader sees it: the short form, or "a layer list of N + M layers". */
export function describeArch(arch: ArchSpec | undefined): string {
  if (arch === undefined || typeof arch === 'string') return arch ?? DEFAULT_ARCH;
  return `${arch.encoder.map(describeSpec).join(', ')} | ${arch.decoder.map(describeSpec).join(', ')}`;
}

/** The channels of a `conv:C1,C2,…` short form, or null for 'mlp'; throws on any other text. */
export function shortFormChannels(arch: string): number[] | null {
  if (arch === 'mlp') return null;
  const match = /^conv:(\d+(?:,\d+)*)$/.exec(arch);
  const channels = match?.[1].split(',').map(Number);
  if (!channels || channels.some((c) => !Number.isSafeInteger(c) || c < 1 || c > 65536)) {
    throw new Error(
      `aevb: arch must be 'mlp', 'conv:C1,C2,…' (channels from 1 to 65536, e.g. conv:32,64) or a layer list {"encoder": […], "decoder": […]}, got '${arch}'`,
    );
  }
  return channels;
}

/**
 * `arch` as data: the text of a flag (a short form, or a layer list as JSON) or a config's value, checked field
 * by field; messages name the place (`arch.encoder[1].kernel`) and what was expected.
 */
export function parseArch(value: unknown): ArchSpec {
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('{')) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw new Error(`aevb: arch is not valid JSON: ${(error as Error).message}`);
      }
      return parseArch(json);
    }
    shortFormChannels(text);
    return text;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(
      `aevb: arch must be a short form such as conv:32,64 or {"encoder": […], "decoder": […]}, got ${JSON.stringify(value)}`,
    );
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'encoder' && key !== 'decoder')
      throw new Error(`aevb: arch has a key '${key}'; a layer list has only 'encoder' and 'decoder'`);
  }
  const side = (name: 'encoder' | 'decoder'): LayerSpec[] => {
    const list = record[name];
    if (!Array.isArray(list))
      throw new Error(`aevb: arch.${name} must be a list of layers, got ${JSON.stringify(list)}`);
    return list.map((layer, i) => parseLayer(layer, `arch.${name}[${i}]`));
  };
  const layers = { encoder: side('encoder'), decoder: side('decoder') };
  if (layers.decoder.length === 0) throw new Error('aevb: arch.decoder must end with its output layer (it is empty)');
  return layers;
}

function parseLayer(value: unknown, at: string): LayerSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(
      `aevb: ${at} must be an object such as {"type": "dense", "outputs": 256}, got ${JSON.stringify(value)}`,
    );
  const r = value as Record<string, unknown>;
  const type = r.type as (typeof LAYER_TYPES)[number];
  if (!LAYER_TYPES.includes(type))
    throw new Error(`aevb: ${at}.type must be one of ${LAYER_TYPES.join(', ')}, got ${JSON.stringify(r.type)}`);
  const allowed: Record<(typeof LAYER_TYPES)[number], string[]> = {
    dense: ['type', 'outputs', 'activation'],
    conv: ['type', 'channels', 'kernel', 'stride', 'padding', 'activation'],
    'conv-transpose': ['type', 'channels', 'kernel', 'stride', 'padding', 'activation'],
    reshape: ['type', 'shape'],
  };
  for (const key of Object.keys(r)) {
    if (!allowed[type].includes(key))
      throw new Error(`aevb: ${at} (${type}) has a key '${key}'; a ${type} layer has ${allowed[type].join(', ')}`);
  }
  const int = (key: string, min: number, optional = false, max = 65536): number | undefined => {
    const v = r[key];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
      throw new Error(`aevb: ${at}.${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return v;
  };
  const activation = (): Activation | undefined => {
    const a = r.activation;
    if (a === undefined) return undefined;
    if (!ACTIVATIONS.includes(a as Activation))
      throw new Error(`aevb: ${at}.activation must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(a)}`);
    return a as Activation;
  };
  const withActivation = <T extends object>(spec: T): T => {
    const a = activation();
    return a === undefined ? spec : { ...spec, activation: a };
  };
  switch (type) {
    case 'dense':
      // A dense output layer makes D values, and D may be up to 2²⁴ (TrainConfig's D).
      return withActivation({ type, outputs: int('outputs', 1, false, MAX_DENSE_OUTPUTS)! });
    case 'reshape': {
      const shape = r.shape;
      if (!Array.isArray(shape) || shape.length !== 3 || shape.some((n) => !Number.isSafeInteger(n) || n < 1))
        throw new Error(
          `aevb: ${at}.shape must be [channels, height, width] of positive integers, got ${JSON.stringify(shape)}`,
        );
      return { type, shape: [...shape] as number[] };
    }
    default: {
      const spec: LayerSpec = { type, channels: int('channels', 1)!, kernel: int('kernel', 1)! };
      const stride = int('stride', 1, true);
      const padding = int('padding', 0, true);
      if (stride !== undefined) spec.stride = stride;
      if (padding !== undefined) spec.padding = padding;
      return withActivation(spec);
    }
  }
}

/** Image shapes as a flag writes them: C,H,W or CxHxW (1,28,28 or 1x28x28). */
export function parseImageShape(value: unknown): ImageShape {
  const list = typeof value === 'string' ? value.split(/[,x×]/).map((s) => Number(s.trim())) : value;
  if (!Array.isArray(list) || list.length !== 3 || list.some((n) => !Number.isSafeInteger(n) || n < 1))
    throw new Error(
      `aevb: imageShape must be channels, height and width as positive integers (e.g. 1,28,28), got ${JSON.stringify(value)}`,
    );
  return [list[0], list[1], list[2]];
}

/**
 * The image shape of rows of D values: the given one (which must hold D values), else one channel of a square,
 * √D × √D (28 × 28 for D = 784); null when D is no square and none is given.
 */
export function imageShapeOf(D: number, given: ImageShape | null | undefined): ImageShape | null {
  if (given !== null && given !== undefined) {
    const [C, H, W] = given;
    if (C * H * W !== D)
      throw new Error(`aevb: imageShape ${C}×${H}×${W} holds ${C * H * W} values, but rows have D = ${D}`);
    return given;
  }
  const side = Math.round(Math.sqrt(D));
  return side * side === D ? [1, side, side] : null;
}
