// A small convolutional VAE written out layer by layer for the float64 reference step (vae_step.ts runs it):
// the shapes are worked by hand here, independently of src/model/vae_architecture.ts, so a test that compares
// them with the library's parameter layout checks the library's shape arithmetic too.
//
//   x (B, 1·6·6) → encoder.0 conv 1→2 (k3 s2 p1: 6→3) → encoder.1 conv 2→3 (k2 s1 p0: 3→2) → encoder.2 dense 12→4
//   → encoder.head dense 4→2Z
//   z → decoder.0 dense Z→4 → decoder.1 dense 4→12 → reshape 3×2×2 → decoder.2 conv-transpose 3→2 (k2 s1 p0: 2→3)
//   → decoder.out conv-transpose 2→C (k4 s2 p1: 3→6), C = 1, or 2 ([mean | log σ²]) for the paper's Gaussian decoder
import type { Activation } from './activation.ts';
import type { Layer, VaeConfig } from './vae_step.ts';

export const TINY_CONV_D = 36;

/** The same model as the library's layer list (src/model/layer_specs.ts), for the GPU and CLI tests. */
export const TINY_CONV_ARCH = {
  encoder: [
    { type: 'conv', channels: 2, kernel: 3, stride: 2, padding: 1 },
    { type: 'conv', channels: 3, kernel: 2 },
    { type: 'dense', outputs: 4 },
  ],
  decoder: [
    { type: 'dense', outputs: 4 },
    { type: 'dense', outputs: 12 },
    { type: 'reshape', shape: [3, 2, 2] },
    { type: 'conv-transpose', channels: 2, kernel: 2 },
    { type: 'conv-transpose', channels: 1, kernel: 4, stride: 2, padding: 1 },
  ],
} as const;

export function tinyConvVae(
  activation: Activation,
  Z: number,
  likelihood: VaeConfig['likelihood'] = 'bernoulli',
  minLogVariance?: number,
): VaeConfig {
  const act = activation;
  const conv = (
    prefix: string,
    transpose: boolean,
    [inChannels, inSize]: [number, number],
    [outChannels, outSize]: [number, number],
    kernel: number,
    stride: number,
    padding: number,
    layerAct: Activation,
  ): Layer => ({
    prefix,
    in: inChannels * inSize * inSize,
    out: outChannels * outSize * outSize,
    act: layerAct,
    conv: { transpose, inChannels, inHeight: inSize, inWidth: inSize, outChannels, kernel, stride, padding },
  });
  const outChannels = likelihood === 'gaussian' ? 2 : 1;
  return {
    D: TINY_CONV_D,
    hidden: [],
    Z,
    activation,
    likelihood,
    minLogVariance,
    layers: {
      encoder: [
        conv('encoder.0', false, [1, 6], [2, 3], 3, 2, 1, act),
        conv('encoder.1', false, [2, 3], [3, 2], 2, 1, 0, act),
        { prefix: 'encoder.2', in: 12, out: 4, act },
      ],
      head: { prefix: 'encoder.head', in: 4, out: 2 * Z, act: 'identity' },
      decoder: [
        { prefix: 'decoder.0', in: Z, out: 4, act },
        { prefix: 'decoder.1', in: 4, out: 12, act },
        conv('decoder.2', true, [3, 2], [2, 3], 2, 1, 0, act),
      ],
      out: conv('decoder.out', true, [2, 3], [outChannels, 6], 4, 2, 1, 'identity'),
    },
  };
}
