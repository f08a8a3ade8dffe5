import type { RowBlock } from '../data/row_block.ts';
import type { Batcher, Minibatch } from './minibatch.ts';
import { philoxUniforms } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';

/** Uniform draws per Philox refill of the shuffle window. */
const DRAWS_PER_REFILL = 4096;

/** The fewest rows the window's storage is made for (or the window's size, when smaller); it doubles from there. */
const FIRST_CAPACITY_ROWS = 16;

/**
 * The most bytes a shuffle window may hold: 4 GiB, about the largest typed array a JavaScript engine makes (V8's
 * limit is 2³² elements) — a window that would pass it is refused with the fix, not a RangeError.
 */
export const MAX_SHUFFLE_WINDOW_BYTES = 2 ** 32;

/**
 * A bounded shuffle: rows enter a window of `windowRows`; once it is full, each arriving row swaps with a
 * uniformly chosen resident, which leaves; when the pass ends, the residents leave in random order. Memory is
 * bounded by the window, whatever the stream's length, and by the rows that have arrived, whatever the window's
 * size: its storage starts small and doubles (copying what it holds) as rows come, up to the window. Draws are
 * made only once it is full, so its growth leaves the shuffle unchanged. The draws come from
 * Philox(seed, epoch·2²⁰ + refill, shuffle-window stream), so the same rows in the same order shuffle the same
 * way on every run and every resume. A window at least as large as the pass is a uniform shuffle of the whole
 * pass. Row numbers (RowBlock.ids) travel with their rows when the blocks carry them.
 *
 * Rows leave straight into a Batcher (one copy per row, no blocks in between), and push() and drain() are
 * generators of the minibatches completed: a row leaves only when the consumer asks for the next minibatch.
 *
 * @example
 * const window = new ShuffleWindow(10_000, seed, epoch);
 * const batcher = new Batcher(100);
 * for await (const block of source.open(epoch)) for (const batch of window.push(block, batcher)) train(batch);
 * for (const batch of window.drain(batcher)) train(batch);
 */
export class ShuffleWindow {
  /** Storage for `capacity` rows (≤ windowRows), of which `filled` are residents. */
  private window: Uint8Array | Float32Array | null = null;
  private ids: Float64Array | null = null;
  private capacity = 0;
  private D = 0;
  private scale = 1;
  private filled = 0;
  private refill = 0;
  private draws: Float64Array = new Float64Array(0);
  private used = 0;

  constructor(
    private readonly windowRows: number,
    private readonly seed: number,
    private readonly epoch: number,
    /** The most bytes its storage may grow to (default MAX_SHUFFLE_WINDOW_BYTES). */
    private readonly maxBytes = MAX_SHUFFLE_WINDOW_BYTES,
  ) {
    if (!Number.isInteger(windowRows) || windowRows < 1)
      throw new Error(`aevb: the shuffle window must hold at least 1 row, got ${windowRows}`);
  }

  /** Takes a block in; the rows it pushes out of a full window go to `batcher`; yields the batches completed. */
  *push(block: RowBlock, batcher: Batcher): Generator<Minibatch> {
    this.accept(block);
    // While the window fills, the block's rows go in as one contiguous run.
    const fill = Math.min(block.rows, this.windowRows - this.filled);
    if (fill > 0) this.reserve(this.filled + fill);
    const { D, scale } = this;
    const window = this.window!;
    const ids = this.ids;
    if (fill > 0) {
      window.set(block.values.subarray(0, fill * D), this.filled * D);
      if (ids !== null) ids.set(block.ids!.subarray(0, fill), this.filled);
      this.filled += fill;
    }
    for (let r = fill; r < block.rows; r++) {
      const j = Math.floor(this.uniform() * this.windowRows);
      const done = batcher.add(window, j, D, scale, ids === null ? null : ids[j]);
      window.set(block.values.subarray(r * D, (r + 1) * D), j * D);
      if (ids !== null) ids[j] = block.ids![r];
      if (done !== null) yield done;
    }
  }

  /** The end of the pass: the residents leave in random order (Fisher–Yates over what is left). */
  *drain(batcher: Batcher): Generator<Minibatch> {
    if (this.window === null) return;
    const { D, scale } = this;
    const window = this.window;
    const ids = this.ids;
    for (let i = this.filled - 1; i >= 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const done = batcher.add(window, j, D, scale, ids === null ? null : ids[j]);
      if (j !== i) {
        window.copyWithin(j * D, i * D, (i + 1) * D);
        if (ids !== null) ids[j] = ids[i];
      }
      this.filled = i;
      if (done !== null) yield done;
    }
  }

  /** The first block fixes the row length and type; later blocks must keep them. */
  private accept(block: RowBlock): void {
    const bytes = block.values instanceof Uint8Array;
    if (this.window === null) {
      this.D = block.D;
      this.scale = block.scale;
      this.window = bytes ? new Uint8Array(0) : new Float32Array(0);
      if (block.ids !== undefined) this.ids = new Float64Array(0);
    } else if (block.D !== this.D || block.scale !== this.scale || bytes !== this.window instanceof Uint8Array) {
      throw new Error(`aevb: rows changed shape or type mid-stream (D ${this.D} → ${block.D})`);
    }
  }

  /** Bytes of storage the window holds now (it grows with the rows that have arrived). */
  get storageBytes(): number {
    return this.window?.byteLength ?? 0;
  }

  /** Grows the storage to hold at least `rows` rows: doubling, up to the window; refuses past MAX_SHUFFLE_WINDOW_BYTES. */
  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const old = this.window!;
    const capacity = Math.min(this.windowRows, Math.max(rows, FIRST_CAPACITY_ROWS, 2 * this.capacity));
    const bytes = capacity * this.D * old.BYTES_PER_ELEMENT;
    if (bytes > this.maxBytes) {
      const most = Math.floor(this.maxBytes / (this.D * old.BYTES_PER_ELEMENT));
      throw new Error(
        `aevb: the shuffle window of ${this.windowRows} rows would need ${bytes} bytes to hold ${capacity} rows of ${this.D} ` +
          `${old instanceof Uint8Array ? 'bytes' : 'float32 values'}, over the limit of ` +
          `${this.maxBytes} bytes; give a smaller shuffle window (--shuffle-window ${most} or less)`,
      );
    }
    const grown = old instanceof Uint8Array ? new Uint8Array(capacity * this.D) : new Float32Array(capacity * this.D);
    grown.set(old.subarray(0, this.filled * this.D));
    this.window = grown;
    if (this.ids !== null) {
      const ids = new Float64Array(capacity);
      ids.set(this.ids.subarray(0, this.filled));
      this.ids = ids;
    }
    this.capacity = capacity;
  }

  private uniform(): number {
    if (this.used === this.draws.length) {
      this.draws = philoxUniforms(
        this.seed,
        this.epoch * 2 ** 20 + this.refill++,
        RANDOM_STREAMS.shuffleWindow,
        DRAWS_PER_REFILL,
      );
      this.used = 0;
    }
    return this.draws[this.used++];
  }
}
