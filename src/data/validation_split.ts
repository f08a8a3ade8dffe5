/**
 * A validation split held out from a row source as it streams: row i of a pass (its global index, counted from
 * 0 across blocks) goes to validation when its uniform u_i < fraction, else to training. u_i is Philox's uniform
 * for element i of (seed, stream validationSplit), so the routing depends only on the seed and the row's place
 * in the source: the same rows are held out every epoch, on resume and whatever the source's block sizes, and
 * no held-out row is ever trained on. Split before shuffling (the shuffle window reorders rows; the source
 * doesn't). Each of the two sources makes its own pass over the underlying one, so reading validation rows
 * costs a read of the whole source; nothing is kept in memory. Platform-neutral.
 *
 * Over a source that acknowledges rows (a Redis stream: acknowledging_source.ts) the training rows acknowledge
 * too: the run numbers only the rows it is given, so the split maps its numbers back to the source's, and counts
 * every held-out row as done — it is never trained from this source, and an entry holding one would otherwise stay
 * pending for ever. Of the mapping it keeps only the rows a checkpoint may still ask about (from the low-water mark
 * on). On a stream, the rows held out are those of this process's passes: a restart numbers the rows left anew.
 */
import { philox4x32, philoxKey, wordToUniform, type PhiloxKey } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import {
  checkpointedRowsOf,
  isAcknowledgingSource,
  type AcknowledgingSource,
  type CheckpointedRows,
} from './acknowledging_source.ts';
import type { RowBlock } from './row_block.ts';
import type { RowSource } from './row_source.ts';

export interface ValidationSplitOptions {
  /** Share of rows held out for validation, in (0, 1). */
  fraction: number;
  /** The run's seed: another seed holds out other rows. */
  seed: number;
}

/** The training rows and the held-out validation rows of `source`; together exactly its rows, in order. */
export function splitValidation(
  source: RowSource,
  o: ValidationSplitOptions,
): { train: RowSource; validation: RowSource } {
  if (!(Number.isFinite(o.fraction) && o.fraction > 0 && o.fraction < 1)) {
    throw new Error(`aevb: the validation split's fraction must be a number in (0, 1), got ${o.fraction}`);
  }
  const key = philoxKey(o.seed);
  const percent = `${+(100 * o.fraction).toFixed(2)}%`;
  return {
    train: trainingRows(`${source.name} (training rows, ${percent} held out for validation)`, source, key, o.fraction),
    validation: routedSource(`${source.name} (validation rows, ${percent} held out)`, source, key, o.fraction, true),
  };
}

/** u_i of row `index` (see the top of this file): element index mod 2³⁴ of the step ⌊index / 2³⁴⌋. */
export function validationUniform(seed: number, index: number): number {
  return new RowUniforms(philoxKey(seed)).at(index);
}

/** The uniforms of consecutive rows, one Philox block per 4 rows. */
class RowUniforms {
  private readonly key: PhiloxKey;
  private quad = -1;
  private words: number[] = [];

  constructor(key: PhiloxKey) {
    this.key = key;
  }

  at(index: number): number {
    if (!Number.isSafeInteger(index) || index < 0)
      throw new Error(`aevb: a row index must be a non-negative integer, got ${index}`);
    const quad = Math.floor(index / 4);
    if (quad !== this.quad) {
      const step = Math.floor(quad / 0x100000000);
      this.words = philox4x32([quad - step * 0x100000000, step, RANDOM_STREAMS.validationSplit, 0], this.key);
      this.quad = quad;
    }
    return wordToUniform(this.words[index % 4]);
  }
}

/** Tells the rows of one pass apart: `kept` and `dropped` get the pass's row index of each row, in order. */
interface Routing {
  kept(index: number): void;
  dropped(index: number): void;
}

function routedSource(
  name: string,
  source: RowSource,
  key: PhiloxKey,
  fraction: number,
  validation: boolean,
  routing?: () => Routing,
): RowSource {
  return {
    name,
    // No epoch passed on: a source whose order follows the epoch (HTTP shards) would hold out other rows each epoch.
    async *open() {
      const uniforms = new RowUniforms(key);
      const route = routing?.();
      let index = 0;
      for await (const block of source.open()) {
        const keep: number[] = [];
        for (let r = 0; r < block.rows; r++, index++) {
          if (uniforms.at(index) < fraction === validation) {
            keep.push(r);
            route?.kept(index);
          } else route?.dropped(index);
        }
        if (keep.length === block.rows) yield block;
        else if (keep.length > 0) yield pick(block, keep);
      }
    },
  };
}

/** The training rows: a plain source, or an acknowledging one over an acknowledging source. */
function trainingRows(name: string, source: RowSource, key: PhiloxKey, fraction: number): RowSource {
  if (!isAcknowledgingSource(source)) return routedSource(name, source, key, fraction, false);
  let pass = new PassRows();
  const rows = routedSource(name, source, key, fraction, false, () => (pass = new PassRows()));
  const inner = (state: unknown) => checkpointedRowsOf(checkpointedRowsOf(state, name).source, source.name);
  const acknowledging: AcknowledgingSource = {
    name,
    open: () => rows.open(),
    checkpointState: (rowsConsumed = 0, trainedAbove = []): CheckpointedRows => {
      const mapped = pass.toSource(rowsConsumed, trainedAbove);
      return { ...mapped, source: source.checkpointState(mapped.rowsConsumed, mapped.trainedAbove) };
    },
    checkpointed: (state) => source.checkpointed(inner(state)),
    resumeFrom: async (state) => source.resumeFrom?.(inner(state)),
    ...(source.close === undefined ? {} : { close: () => source.close!() }),
  };
  return acknowledging;
}

/**
 * One pass's training rows as the source numbers them: training row k (the run's number) is the source's row
 * `trained[k - first]`; `heldOut` are the source's rows held out, ascending; `seen` rows of the source have been
 * routed. Both lists lose their front as the low-water mark passes it.
 */
class PassRows implements Routing {
  private trained: number[] = [];
  private first = 0;
  private heldOut: number[] = [];
  private seen = 0;

  kept(index: number): void {
    this.trained.push(index);
    this.seen = index + 1;
  }

  dropped(index: number): void {
    this.heldOut.push(index);
    this.seen = index + 1;
  }

  /**
   * The run's low-water mark and rows trained above it, in the source's numbers: every source row below the
   * mapped mark is a trained row below `rowsConsumed` or a held-out one, and above it the trained rows and the
   * held-out ones count as done.
   */
  toSource(rowsConsumed: number, trainedAbove: readonly number[]): { rowsConsumed: number; trainedAbove: number[] } {
    const sourceOf = (k: number) => {
      const index = this.trained[k - this.first];
      if (index === undefined || k < this.first)
        throw new Error(`validation split: training row ${k} was not delivered in this pass (or is below the mark)`);
      return index;
    };
    const delivered = this.first + this.trained.length;
    const low = rowsConsumed >= delivered ? this.seen : sourceOf(rowsConsumed);
    // Forget what no later checkpoint of this pass can ask about: the mark only rises.
    const passed = Math.max(0, Math.min(rowsConsumed, delivered) - this.first);
    this.trained = this.trained.slice(passed);
    this.first += passed;
    this.heldOut = this.heldOut.slice(firstAtOrAbove(this.heldOut, low));
    const above = trainedAbove.map(sourceOf);
    return { rowsConsumed: low, trainedAbove: mergeAscending(above, this.heldOut) };
  }
}

/** The position of the first value ≥ `value` in an ascending list. */
function firstAtOrAbove(list: readonly number[], value: number): number {
  let [lo, hi] = [0, list.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Two ascending lists with no value in common, as one. */
function mergeAscending(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let [i, j] = [0, 0];
  while (i < a.length || j < b.length) out.push(j >= b.length || (i < a.length && a[i] < b[j]) ? a[i++] : b[j++]);
  return out;
}

/** A block holding only the given rows of `block`, in order. */
function pick(block: RowBlock, rows: number[]): RowBlock {
  const { D } = block;
  const values =
    block.values instanceof Uint8Array ? new Uint8Array(rows.length * D) : new Float32Array(rows.length * D);
  rows.forEach((r, i) => values.set(block.values.subarray(r * D, (r + 1) * D), i * D));
  return { values, rows: rows.length, D, scale: block.scale };
}
