/**
 * Initial parameters, drawn on the CPU from Philox (seed, counter = tensor index, stream = initialization), so
 * a seed gives the same model on every machine.
 */
import { philoxNormals, philoxUniforms } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import { DECODER_LOG_VARIANCE, type ParameterLayout } from './parameter_layout.ts';

export const INIT_SCHEMES = ['pytorch', 'glorot', 'paper'] as const;
/**
 * pytorch: weights and biases ~ U(±1/√fan_in), PyTorch's nn.Linear, nn.Conv2d and nn.ConvTranspose2d default
 *          (what the peer benchmark uses), with PyTorch's fans (fansOf).
 * glorot:  weights ~ U(±√(6/(fan_in + fan_out))), biases 0 (Glorot & Bengio 2010).
 * paper:   everything ~ N(0, 0.01²), Kingma & Welling's MNIST setting.
 */
export type InitScheme = (typeof INIT_SCHEMES)[number];

export function initialParameters(layout: ParameterLayout, scheme: InitScheme, seed: number | bigint): Float32Array {
  const flat = new Float32Array(layout.P);
  layout.entries.forEach((entry, index) => {
    // The Gaussian decoder's log-variances start at 0 (unit variance) whatever the scheme.
    if (entry.name === DECODER_LOG_VARIANCE) return;
    const isWeight = entry.shape.length > 1;
    // A bias of a layer shares its weight's fans: the weight is the entry just before it.
    const [fanIn, fanOut] = fansOf(isWeight ? entry.shape : layout.entries[index - 1].shape);
    let values: Float64Array;
    switch (scheme) {
      case 'pytorch': {
        const bound = 1 / Math.sqrt(fanIn);
        values = philoxUniforms(seed, index, RANDOM_STREAMS.initialization, entry.size).map((u) => bound * (2 * u - 1));
        break;
      }
      case 'glorot': {
        const bound = Math.sqrt(6 / (fanIn + fanOut));
        values = isWeight
          ? philoxUniforms(seed, index, RANDOM_STREAMS.initialization, entry.size).map((u) => bound * (2 * u - 1))
          : new Float64Array(entry.size);
        break;
      }
      case 'paper':
        values = philoxNormals(seed, index, RANDOM_STREAMS.initialization, entry.size).map((n) => 0.01 * n);
        break;
    }
    flat.set(values, entry.offset);
  });
  return flat;
}

/**
 * (fan_in, fan_out) of a weight as PyTorch counts them: a dense weight (in, out) here; a convolution's weight
 * (dim0, dim1, k, k) gives (dim1·k², dim0·k²) — for nn.ConvTranspose2d, whose weight is (in, out, k, k), PyTorch's
 * rule makes fan_in out·k², and the 'pytorch' scheme keeps that so a seed's model is distributed as PyTorch's.
 */
function fansOf(weightShape: number[]): [number, number] {
  if (weightShape.length === 2) return [weightShape[0], weightShape[1]];
  const receptive = weightShape.slice(2).reduce((a, b) => a * b, 1);
  return [weightShape[1] * receptive, weightShape[0] * receptive];
}
