/**
 * What every plan over the network reads: the device, the architecture, the parameter layout and the flat
 * parameter buffer. A Vae is one; the encoder, decoder, forward and backward plans and the evaluations take
 * it, so the model's parameters are named in one type.
 */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import type { VaeArchitecture } from './vae_architecture.ts';
import type { ParameterLayout } from './parameter_layout.ts';

export interface ModelBuffers {
  readonly gpu: GpuContext;
  readonly architecture: VaeArchitecture;
  readonly layout: ParameterLayout;
  /** (P): every parameter at its layout offset. */
  readonly params: GPUBuffer;
}

/** The range of `source` (the parameters, or a buffer that mirrors them: gradients, moments) holding tensor `name`. */
export function tensorIn(layout: ParameterLayout, source: GPUBuffer, name: string): TensorBinding {
  const e = layout.byName(name);
  return { buffer: source, offset: e.offset * 4, size: e.size * 4 };
}
