import type { RowBlock } from '../data/row_block.ts';

/** A minibatch: B·D values in [0, 1], row-major, and its rows' numbers when the blocks carried them. */
export interface Minibatch {
  data: Float32Array;
  rowIds?: Float64Array;
}

/**
 * Row blocks in, minibatches out: Float32Array(B·D) of values scaled into [0, 1] (bytes × 1/255), row-major.
 * Rows are copied once, straight into the batch being filled, so at most one partial batch is held. push() is
 * a generator: a batch is cut only when the consumer pulls it. What is left at the end of a pass (fewer than B
 * rows) is dropped unless the caller takes it with rest().
 *
 * @example
 * const batcher = new Batcher(100);
 * for (const block of blocks) for (const batch of batcher.push(block)) train(batch.data);
 * const last = batcher.rest();   // the partial batch, or null
 */
export class Batcher {
  private batch: Float32Array | null = null;
  private ids: Float64Array | null = null;
  private rows = 0;
  private D = 0;

  constructor(private readonly B: number) {
    if (!Number.isInteger(B) || B < 1) throw new Error(`aevb: a minibatch holds at least 1 row, got ${B}`);
  }

  /** Takes a block in; yields every batch it completes. */
  *push(block: RowBlock): Generator<Minibatch> {
    const { B } = this;
    if (this.batch === null || block.D !== this.D) {
      if (this.batch !== null && this.rows > 0) throw new Error(`aevb: rows changed from ${this.D} to ${block.D} values mid-batch`);
      this.D = block.D;
      this.batch = new Float32Array(B * block.D);
    }
    if (block.ids !== undefined) this.ids ??= new Float64Array(B);
    const D = this.D;
    for (let r = 0; r < block.rows; ) {
      // Whole runs of rows at a time: as many as fit in the batch being filled.
      const n = Math.min(block.rows - r, B - this.rows);
      copyScaled(block.values, r * D, this.batch, this.rows * D, n * D, block.scale);
      if (this.ids !== null) this.ids.set(block.ids!.subarray(r, r + n), this.rows);
      r += n;
      this.rows += n;
      if (this.rows === B) {
        const done: Minibatch = this.ids === null ? { data: this.batch } : { data: this.batch, rowIds: this.ids };
        this.batch = new Float32Array(B * D);
        if (this.ids !== null) this.ids = new Float64Array(B);
        this.rows = 0;
        yield done;
      }
    }
  }

  /** The partial batch left (rows·D values), or null; the batcher starts afresh. */
  rest(): Minibatch | null {
    if (this.batch === null || this.rows === 0) return null;
    const data = this.batch.slice(0, this.rows * this.D);
    const rest: Minibatch = this.ids === null ? { data } : { data, rowIds: this.ids.slice(0, this.rows) };
    this.rows = 0;
    return rest;
  }
}

/** to[at…at+n) = from[start…start+n) × scale; a plain copy when no scaling is needed. */
function copyScaled(from: Uint8Array | Float32Array, start: number, to: Float32Array, at: number, n: number, scale: number): void {
  if (scale === 1) {
    to.set(from.subarray(start, start + n), at);
    return;
  }
  for (let k = 0; k < n; k++) to[at + k] = from[start + k] * scale;
}
