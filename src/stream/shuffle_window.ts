import type { RowBlock } from '../data/row_block.ts';
import { philoxUniforms } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';

/** Uniform draws per Philox refill of the shuffle window. */
const DRAWS_PER_REFILL = 4096;

/**
 * A bounded shuffle: rows enter a window of `windowRows`; once it is full, each arriving row swaps with a
 * uniformly chosen resident, which leaves; when the pass ends, the residents leave in random order. Memory is
 * the window, whatever the stream's length. The draws come from Philox(seed, epoch·2²⁰ + refill, shuffle-window
 * stream), so the same rows in the same order shuffle the same way on every run and every resume. A window at
 * least as large as the pass is a uniform shuffle of the whole pass. Row numbers (RowBlock.ids) travel with
 * their rows when the blocks carry them.
 *
 * Pulled, not pushed: push() and drain() are generators, so a row leaves only when the consumer asks for it.
 * Blocks out hold up to `outRows` rows; drain() emits blocks no larger than the ones that came in, so the end
 * of a pass reaches the consumer at the pace of the pass.
 *
 * @example
 * const window = new ShuffleWindow(10_000, seed, epoch);
 * for await (const block of source.open(epoch)) for (const out of window.push(block)) use(out);
 * for (const out of window.drain()) use(out);
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
  private lastBlockRows = 1;

  constructor(
    private readonly windowRows: number,
    private readonly seed: number,
    private readonly epoch: number,
    private readonly outRows = 256,
  ) {
    if (!Number.isInteger(windowRows) || windowRows < 1) throw new Error(`aevb: the shuffle window must hold at least 1 row, got ${windowRows}`);
  }

  /** Takes a block in; yields the rows it pushes out of a full window. */
  *push(block: RowBlock): Generator<RowBlock> {
    this.accept(block);
    const { D } = this;
    const window = this.window!;
    const out = this.output(this.outRows);
    for (let r = 0; r < block.rows; r++) {
      const row = block.values.subarray(r * D, (r + 1) * D);
      const id = block.ids?.[r] ?? 0;
      if (this.filled < this.windowRows) {
        if (this.ids !== null) this.ids[this.filled] = id;
        window.set(row, this.filled++ * D);
        continue;
      }
      const j = Math.floor(this.uniform() * this.windowRows);
      out.take(window, j, this.ids?.[j] ?? 0);
      window.set(row, j * D);
      if (this.ids !== null) this.ids[j] = id;
      if (out.full) yield out.block();
    }
    if (out.count > 0) yield out.block();
  }

  /** The end of the pass: yields the residents in random order (Fisher–Yates over what is left). */
  *drain(): Generator<RowBlock> {
    if (this.window === null) return;
    const { D } = this;
    const window = this.window;
    const out = this.output(this.lastBlockRows);
    for (let i = this.filled - 1; i >= 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      out.take(window, j, this.ids?.[j] ?? 0);
      if (j !== i) {
        window.copyWithin(j * D, i * D, (i + 1) * D);
        if (this.ids !== null) this.ids[j] = this.ids[i];
      }
      if (out.full) yield out.block();
    }
    this.filled = 0;
    if (out.count > 0) yield out.block();
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
    this.lastBlockRows = Math.max(1, block.rows);
  }

  /** A block being filled with rows leaving the window, at most `limit` (and outRows) rows long. */
  private output(limit: number): OutBlock {
    return new OutBlock(this.window!, this.D, this.scale, Math.min(this.outRows, Math.max(1, limit)), this.ids !== null);
  }

  private uniform(): number {
    if (this.used === this.draws.length) {
      this.draws = philoxUniforms(this.seed, this.epoch * 2 ** 20 + this.refill++, RANDOM_STREAMS.shuffleWindow, DRAWS_PER_REFILL);
      this.used = 0;
    }
    return this.draws[this.used++];
  }
}

/** Rows gathered for one block out of the window; block() hands them over and starts afresh. */
class OutBlock {
  count = 0;
  private values: Uint8Array | Float32Array;
  private ids: Float64Array | null;

  constructor(like: Uint8Array | Float32Array, private readonly D: number, private readonly scale: number, private readonly rows: number, numbered: boolean) {
    this.values = like instanceof Uint8Array ? new Uint8Array(rows * D) : new Float32Array(rows * D);
    this.ids = numbered ? new Float64Array(rows) : null;
  }

  get full(): boolean {
    return this.count === this.rows;
  }

  take(from: Uint8Array | Float32Array, row: number, id: number): void {
    this.values.set(from.subarray(row * this.D, (row + 1) * this.D), this.count * this.D);
    if (this.ids !== null) this.ids[this.count] = id;
    this.count++;
  }

  /** The rows taken so far as a block of their own (the arrays change hands: no copy). */
  block(): RowBlock {
    const rows = this.count;
    const block: RowBlock = { values: this.values.subarray(0, rows * this.D), rows, D: this.D, scale: this.scale };
    if (this.ids !== null) block.ids = this.ids.subarray(0, rows);
    this.values = this.values instanceof Uint8Array ? new Uint8Array(this.rows * this.D) : new Float32Array(this.rows * this.D);
    if (this.ids !== null) this.ids = new Float64Array(this.rows);
    this.count = 0;
    return block;
  }
}
