/** Buffer helpers: labelled storage and uniform buffers, and asynchronous read-back. */
import type { GpuContext } from './device.ts';

/** A range of a buffer that a kernel binds: offset and size in bytes (size defaults to the rest of the buffer). */
export interface TensorBinding {
  buffer: GPUBuffer;
  offset?: number;
  size?: number;
}

const STORAGE_USAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** A storage buffer of `floats` float32 values, zero-filled, or filled with `data`. */
export function createStorageBuffer(ctx: GpuContext, label: string, data: number | Float32Array): GPUBuffer {
  const floats = typeof data === 'number' ? data : data.length;
  // WebGPU rejects zero-sized bindings; keep at least one float so an empty tensor still binds.
  const size = Math.max(4, floats * 4);
  const buffer = ctx.device.createBuffer({ label, size: align(size, 4), usage: STORAGE_USAGE() });
  if (typeof data !== 'number' && data.length > 0) ctx.device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/** A uniform buffer holding `bytes` (padded to 16 bytes as uniform layout requires). */
export function createUniformBuffer(ctx: GpuContext, label: string, bytes: ArrayBuffer): GPUBuffer {
  const buffer = ctx.device.createBuffer({
    label,
    size: align(Math.max(bytes.byteLength, 16), 16),
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  ctx.device.queue.writeBuffer(buffer, 0, bytes);
  return buffer;
}

/** Field kinds of a WGSL uniform struct made only of 4-byte scalars. */
export type UniformField = ['u32' | 'f32', number];

/** Packs 4-byte scalar fields in declaration order, as WGSL lays out a struct of u32/f32 members. */
export function packUniform(fields: UniformField[]): ArrayBuffer {
  const bytes = new ArrayBuffer(align(Math.max(fields.length * 4, 16), 16));
  const view = new DataView(bytes);
  fields.forEach(([kind, value], i) => {
    if (kind === 'u32') {
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
        throw new Error(`aevb: uniform field ${i} = ${value} is not a u32`);
      view.setUint32(i * 4, value, true);
    } else {
      view.setFloat32(i * 4, value, true);
    }
  });
  return bytes;
}

/** Copies `count` floats starting at `binding.offset` into a staging buffer and resolves with them. */
export async function readFloat32(ctx: GpuContext, binding: TensorBinding, count: number): Promise<Float32Array> {
  const offset = binding.offset ?? 0;
  const bytes = align(Math.max(count * 4, 4), 4);
  const staging = ctx.device.createBuffer({
    label: 'read-back staging',
    size: bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = ctx.device.createCommandEncoder({ label: 'read-back' });
  encoder.copyBufferToBuffer(binding.buffer, offset, staging, 0, bytes);
  ctx.device.queue.submit([encoder.finish()]);
  try {
    await staging.mapAsync(GPUMapMode.READ);
    const result = new Float32Array(staging.getMappedRange().slice(0, count * 4));
    staging.unmap();
    return result;
  } finally {
    staging.destroy();
    ctx.throwIfFailed();
  }
}

export function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
