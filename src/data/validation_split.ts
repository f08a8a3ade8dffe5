/**
 * A validation split held out from a row source as it streams: row i of a pass (its global index, counted from
 * 0 across blocks) goes to validation when its uniform u_i < fraction, else to training. u_i is Philox's uniform
 * for element i of (seed, stream validationSplit), so the routing depends only on the seed and the row's place
 * in the source: the same rows are held out every epoch, on resume and whatever the source's block sizes, and
 * no held-out row is ever trained on. Split before shuffling (the shuffle window reorders rows; the source
 * doesn't). Each of the two sources makes its own pass over the underlying one, so reading validation rows
 * costs a read of the whole source; nothing is kept in memory. Platform-neutral.
 */
import { philox4x32, philoxKey, wordToUniform, type PhiloxKey } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
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
    train: routedSource(
      `${source.name} (training rows, ${percent} held out for validation)`,
      source,
      key,
      o.fraction,
      false,
    ),
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

function routedSource(
  name: string,
  source: RowSource,
  key: PhiloxKey,
  fraction: number,
  validation: boolean,
): RowSource {
  return {
    name,
    async *open() {
      const uniforms = new RowUniforms(key);
      let index = 0;
      for await (const block of source.open()) {
        const keep: number[] = [];
        for (let r = 0; r < block.rows; r++, index++) {
          if (uniforms.at(index) < fraction === validation) keep.push(r);
        }
        if (keep.length === block.rows) yield block;
        else if (keep.length > 0) yield pick(block, keep);
      }
    },
  };
}

/** A block holding only the given rows of `block`, in order. */
function pick(block: RowBlock, rows: number[]): RowBlock {
  const { D } = block;
  const values =
    block.values instanceof Uint8Array ? new Uint8Array(rows.length * D) : new Float32Array(rows.length * D);
  rows.forEach((r, i) => values.set(block.values.subarray(r * D, (r + 1) * D), i * D));
  return { values, rows: rows.length, D, scale: block.scale };
}
