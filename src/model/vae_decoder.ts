/**
 * The decoder alone, for pictures: z (B, Z) → decoder layers → logits (B, D), as recorded launches over
 * buffers it owns (write z, submit, read logits). Mean images are sigmoid(logits).
 */
import type { GpuContext } from '../gpu/device.ts';
import { createStorageBuffer } from '../gpu/buffers.ts';
import { denseForward } from '../kernels/matmul.ts';
import type { KernelDispatch } from '../kernels/kernel.ts';
import { vaeLayers, type VaeArchitecture } from './vae_architecture.ts';
import type { ParameterLayout } from './parameter_layout.ts';

export class VaeDecoder {
  readonly z: GPUBuffer;
  readonly logits: GPUBuffer;
  readonly dispatches: KernelDispatch[] = [];
  private readonly buffers: GPUBuffer[] = [];

  constructor(ctx: GpuContext, model: { arch: VaeArchitecture; layout: ParameterLayout; params: GPUBuffer }, B: number) {
    const layers = vaeLayers(model.arch);
    const buffer = (label: string, floats: number) => {
      const b = createStorageBuffer(ctx, label, floats);
      this.buffers.push(b);
      return b;
    };
    const tensor = (name: string) => {
      const e = model.layout.byName(name);
      return { buffer: model.params, offset: e.offset * 4, size: e.size * 4 };
    };
    this.z = buffer('decode z', B * model.arch.Z);
    this.logits = buffer('decode logits', B * model.arch.D);
    let h = this.z;
    for (const l of [...layers.decoder, layers.out]) {
      const output = l === layers.out ? this.logits : buffer(`decode ${l.name} output`, B * l.outputs);
      this.dispatches.push(denseForward(ctx, { B, inputs: l.inputs, outputs: l.outputs, activation: l.activation, x: { buffer: h },
        weight: tensor(`${l.name}.weight`), bias: tensor(`${l.name}.bias`), y: { buffer: output } }, `decode ${l.name}`));
      h = output;
    }
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
  }
}
