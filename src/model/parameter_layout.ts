/**
 * The flat parameter buffer: every tensor of the model at a fixed offset, each starting on a 64-float
 * (256-byte) boundary so it can be bound on its own on every adapter. Gradients and optimizer moments use the
 * same layout, so the optimizer is one dispatch over P floats. A dense weight is (inputs, outputs); a
 * convolution's is PyTorch's: (outChannels, inChannels, k, k), a transposed one's (inChannels, outChannels, k, k).
 */
import { allLayers, biasSize, vaeLayers, weightShape, type VaeArchitecture } from './vae_architecture.ts';

/** The shared-variance Gaussian decoder's learned log-variances, one per output (D). */
export const DECODER_LOG_VARIANCE = 'decoder.logvar';

/** Floats per alignment unit: 256 bytes, the largest minStorageBufferOffsetAlignment WebGPU allows. */
export const TENSOR_ALIGNMENT_FLOATS = 64;

export interface ParameterEntry {
  name: string;
  shape: number[];
  /** Offset in floats from the start of the buffer. */
  offset: number;
  /** Number of floats (product of shape). */
  size: number;
}

export interface ParameterLayout {
  entries: ParameterEntry[];
  /** Total floats, padding included (P). */
  P: number;
  byName(name: string): ParameterEntry;
}

export function parameterLayout(arch: VaeArchitecture): ParameterLayout {
  const entries: ParameterEntry[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    entries.push({ name, shape, offset, size });
    offset += Math.ceil(size / TENSOR_ALIGNMENT_FLOATS) * TENSOR_ALIGNMENT_FLOATS;
  };
  for (const layer of allLayers(vaeLayers(arch))) {
    add(`${layer.name}.weight`, weightShape(layer));
    add(`${layer.name}.bias`, [biasSize(layer)]);
  }
  if (arch.likelihood === 'gaussian-shared-variance') add(DECODER_LOG_VARIANCE, [arch.D]);
  const index = new Map(entries.map((e) => [e.name, e]));
  return {
    entries,
    P: offset,
    byName(name) {
      const e = index.get(name);
      if (e === undefined)
        throw new Error(`aevb: no parameter named '${name}' (have ${entries.map((x) => x.name).join(', ')})`);
      return e;
    },
  };
}
