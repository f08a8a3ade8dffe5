import type { RowBlock } from '../data/row_block.ts';
import type { Batcher, Minibatch } from './minibatch.ts';
import { philoxUniforms } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';

/** Uniform draws per Philox refill of the shuffle window. */
const DRAWS_PER_REFILL = 4096;

/**
 * A bounded shuffle: rows enter a window of `windowRows`; once it is full, each arriving row swaps with a
 * uniformly chosen resident, which leaves; when the pass ends, the residents leave in random order. Memory is
 * the window, whatever the stream's length (allocated whole when the first block arrives). The draws come from
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
  private window: Uint8Array | Float32Array | null = null;
  private ids: Float64Array | null = null;
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
  ) {
    if (!Number.isInteger(windowRows) || windowRows < 1) throw new Error(`aevb: the shuffle window must hold at least 1 row, got ${windowRows}`);
  }

  /** Takes a block in; the rows it pushes out of a full window go to `batcher`; yields the batches completed. */
  *push(block: RowBlock, batcher: Batcher): Generator<Minibatch> {
    this.accept(block);
    const { D, scale } = this;
    const window = this.window!;
    const ids = this.ids;
    // While the window fills, the block's rows go in as one contiguous run.
    const fill = Math.min(block.rows, this.windowRows - this.filled);
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
      this.window = bytes ? new Uint8Array(this.windowRows * block.D) : new Float32Array(this.windowRows * block.D);
      if (block.ids !== undefined) this.ids = new Float64Array(this.windowRows);
    } else if (block.D !== this.D || block.scale !== this.scale || bytes !== this.window instanceof Uint8Array) {
      throw new Error(`aevb: rows changed shape or type mid-stream (D ${this.D} → ${block.D})`);
    }
  }

  private uniform(): number {
    if (this.used === this.draws.length) {
      this.draws = philoxUniforms(this.seed, this.epoch * 2 ** 20 + this.refill++, RANDOM_STREAMS.shuffleWindow, DRAWS_PER_REFILL);
      this.used = 0;
    }
    return this.draws[this.used++];
  }
}
