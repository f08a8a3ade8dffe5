/** The storage buffers one plan owns: made through it, freed together by destroy(). */
import type { GpuContext } from '../gpu/device.ts';
import { createStorageBuffer } from '../gpu/buffers.ts';

export class BufferSet {
  private readonly buffers: GPUBuffer[] = [];
  private readonly gpu: GpuContext;

  constructor(gpu: GpuContext) {
    this.gpu = gpu;
  }

  /** A zero-filled storage buffer of `floats` float32 values, owned by this set. */
  storage(label: string, floats: number): GPUBuffer {
    const buffer = createStorageBuffer(this.gpu, label, floats);
    this.buffers.push(buffer);
    return buffer;
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
  }
}
