/**
 * A ring of R mappable upload buffers: the CPU writes a minibatch straight into a mapped slot, the step's own
 * command buffer copies it to where the kernels read it, and the slot is mapped again (asynchronously) once
 * the GPU has done so. acquire() resolves only when a slot is free, so at most R batches are ever between the
 * data pipeline and the GPU: this bound is the pipeline's back-pressure.
 */
import type { GpuContext } from './device.ts';

export class UploadRing {
  readonly slots: number;
  private readonly buffers: GPUBuffer[];
  private readonly free: number[] = [];
  private readonly waiting: Array<{ resolve: (slot: number) => void; reject: (error: unknown) => void }> = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly ctx: GpuContext;
  private failure: unknown = null;

  constructor(ctx: GpuContext, slots: number, bytes: number, label = 'upload ring') {
    if (!Number.isInteger(slots) || slots < 1)
      throw new Error(`aevb: the upload ring needs at least 1 slot, got ${slots}`);
    this.ctx = ctx;
    this.slots = slots;
    this.buffers = Array.from({ length: slots }, (_, i) =>
      ctx.device.createBuffer({
        label: `${label} ${i}`,
        size: Math.ceil(bytes / 4) * 4,
        usage: GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC,
        mappedAtCreation: true,
      }),
    );
    for (let i = 0; i < slots; i++) this.free.push(i);
  }

  /** Resolves with a free, mapped slot (waiting for the GPU to release one if none is free). */
  acquire(): Promise<number> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const slot = this.free.pop();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /**
   * Copies `data` into the mapped slot and unmaps it, ready for copyTo(). With `repeat`, each row of
   * `rowLength` values is written `times` times in a row (L samples per datapoint); returns the bytes written.
   */
  write(
    slot: number,
    data: Float32Array | Uint8Array,
    repeat: { rowLength: number; times: number } = { rowLength: data.length, times: 1 },
  ): number {
    const buffer = this.buffers[slot];
    const bytes = data.byteLength * repeat.times;
    // A mapped range must be a multiple of 4 bytes long; bytes (u8 rows) round up, the slot has room for it.
    const range = buffer.getMappedRange(0, Math.ceil(bytes / 4) * 4);
    const target = data instanceof Uint8Array ? new Uint8Array(range, 0, bytes) : new Float32Array(range);
    if (repeat.times === 1) target.set(data);
    else {
      const rows = data.length / repeat.rowLength;
      for (let r = 0; r < rows; r++) {
        const row = data.subarray(r * repeat.rowLength, (r + 1) * repeat.rowLength);
        for (let t = 0; t < repeat.times; t++) target.set(row, (r * repeat.times + t) * repeat.rowLength);
      }
    }
    buffer.unmap();
    return bytes;
  }

  /** Records the copy of the slot's contents into `destination`. */
  copyTo(encoder: GPUCommandEncoder, slot: number, destination: GPUBuffer, bytes: number): void {
    encoder.copyBufferToBuffer(this.buffers[slot], 0, destination, 0, bytes);
  }

  /** Call after submitting the command buffer that copies from `slot`: it is mapped again when the GPU is done. */
  release(slot: number): void {
    const mapped = this.buffers[slot].mapAsync(GPUMapMode.WRITE).then(
      () => {
        const next = this.waiting.shift();
        if (next) next.resolve(slot);
        else this.free.push(slot);
      },
      (error) => {
        this.failure ??= error;
        for (const w of this.waiting.splice(0)) w.reject(error);
      },
    );
    this.pending.add(mapped);
    void mapped.finally(() => this.pending.delete(mapped));
  }

  /** Resolves when every submitted upload has been consumed by the GPU; throws a device error if one happened. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    if (this.failure !== null) throw this.failure;
    this.ctx.throwIfFailed();
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
  }
}
