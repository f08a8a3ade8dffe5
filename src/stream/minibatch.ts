import type { RowBlock } from '../data/row_block.ts';

/**
 * A minibatch as the source gave it: B·D values, row-major, in the source's own type — bytes stay bytes (a
 * quarter of the float32 copy and upload); `scale` takes a value into [0, 1] (1/255 for bytes, 1 for floats).
 * The step's input (stream/step_input.ts) scales it, binarizes or dequantizes it.
 */
export interface Minibatch {
  data: Uint8Array | Float32Array;
  /** Values per row, as the source has them. */
  D: number;
  /** Multiplier into [0, 1]: 1/255 for bytes, 1 for floats. */
  scale: number;
  /** The rows' numbers in delivery order within the pass, when the blocks carried them. */
  rowIds?: Float64Array;
}

/**
 * Rows in, minibatches of B rows out, copied once, straight into the batch being filled, so at most one partial
 * batch is held. add() takes one row (the shuffle window's way); push() takes a block, copying whole runs of
 * rows at a time. What is left at the end of a pass (fewer than B rows) is dropped unless the caller takes it
 * with rest().
 *
 * @example
 * const batcher = new Batcher(100);
 * for (const block of blocks) for (const batch of batcher.push(block)) train(batch);
 * const last = batcher.rest();   // the partial batch, or null
 */
export class Batcher {
  private batch: Uint8Array | Float32Array | null = null;
  private ids: Float64Array | null = null;
  private rows = 0;
  private D = 0;
  private scale = 1;

  constructor(private readonly B: number) {
    if (!Number.isInteger(B) || B < 1) throw new Error(`aevb: a minibatch holds at least 1 row, got ${B}`);
  }

  /** Takes a block in; yields every batch it completes. */
  *push(block: RowBlock): Generator<Minibatch> {
    this.accept(block.values, block.D, block.scale, block.ids !== undefined);
    const D = this.D;
    for (let r = 0; r < block.rows;) {
      // Whole runs of rows at a time: as many as fit in the batch being filled.
      const n = Math.min(block.rows - r, this.B - this.rows);
      this.batch!.set(block.values.subarray(r * D, (r + n) * D), this.rows * D);
      if (this.ids !== null) this.ids.set(block.ids!.subarray(r, r + n), this.rows);
      r += n;
      this.rows += n;
      if (this.rows === this.B) yield this.complete();
    }
  }

  /**
   * Takes row `row` of `values` (rows of `D` values scaled by `scale`); returns the batch it completes, or null.
   * The caller keeps D, scale and the array type the same within a pass.
   */
  add(values: Uint8Array | Float32Array, row: number, D: number, scale: number, id: number | null): Minibatch | null {
    if (this.batch === null || D !== this.D) this.accept(values, D, scale, id !== null);
    this.batch!.set(values.subarray(row * D, (row + 1) * D), this.rows * D);
    if (this.ids !== null) this.ids[this.rows] = id ?? 0;
    return ++this.rows === this.B ? this.complete() : null;
  }

  /** The partial batch left (rows·D values), or null; the batcher starts afresh. */
  rest(): Minibatch | null {
    if (this.batch === null || this.rows === 0) return null;
    const data = this.batch.slice(0, this.rows * this.D);
    const rest: Minibatch = {
      data,
      D: this.D,
      scale: this.scale,
      ...(this.ids === null ? {} : { rowIds: this.ids.slice(0, this.rows) }),
    };
    this.rows = 0;
    return rest;
  }

  /** The first rows fix the row length, type and scale; a change mid-batch is refused. */
  private accept(values: Uint8Array | Float32Array, D: number, scale: number, numbered: boolean): void {
    const bytes = values instanceof Uint8Array;
    if (this.batch !== null && D === this.D && scale === this.scale && bytes === this.batch instanceof Uint8Array) {
      if (numbered) this.ids ??= new Float64Array(this.B);
      return;
    }
    if (this.batch !== null && this.rows > 0)
      throw new Error(`aevb: rows changed from ${this.D} to ${D} values (or their type) mid-batch`);
    this.D = D;
    this.scale = scale;
    this.batch = bytes ? new Uint8Array(this.B * D) : new Float32Array(this.B * D);
    if (numbered) this.ids ??= new Float64Array(this.B);
  }

  /** Hands the full batch over (its arrays change hands: no copy) and starts the next. */
  private complete(): Minibatch {
    const done: Minibatch =
      this.ids === null
        ? { data: this.batch!, D: this.D, scale: this.scale }
        : { data: this.batch!, D: this.D, scale: this.scale, rowIds: this.ids };
    this.batch = this.batch instanceof Uint8Array ? new Uint8Array(this.B * this.D) : new Float32Array(this.B * this.D);
    if (this.ids !== null) this.ids = new Float64Array(this.B);
    this.rows = 0;
    return done;
  }
}
