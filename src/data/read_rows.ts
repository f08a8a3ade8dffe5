/** Helpers over a row source that need more than one block: its row length, or all of it in memory. */
import { dequantizeRowsOnce } from './dequantization.ts';
import { philoxUniforms } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import type { RowSource } from './row_source.ts';

/**
 * D of a source: reads until the first block arrives, then closes the pass — or asks the source, when it can tell
 * without a pass (a Redis stream, whose reads are deliveries: its rowLength() takes nothing from the group).
 */
export async function rowLengthOf(source: RowSource & { rowLength?(): Promise<number> }): Promise<number> {
  if (typeof source.rowLength === 'function') return source.rowLength();
  for await (const block of source.open()) return block.D;
  throw new Error(`${source.name}: holds no rows`);
}

/** The rows of one pass (at most `maxRows`), scaled into [0, 1]: for test sets, which are small enough to hold. */
export async function readAllRows(
  source: RowSource,
  maxRows = Infinity,
): Promise<{ values: Float32Array; rows: number; D: number }> {
  const blocks: Float32Array[] = [];
  let rows = 0;
  let D = 0;
  for await (const block of source.open()) {
    D = block.D;
    const take = Math.min(block.rows, maxRows - rows);
    rows += take;
    blocks.push(Float32Array.from(block.values.subarray(0, take * D), (v) => v * block.scale));
    if (rows >= maxRows) break;
  }
  if (rows === 0) throw new Error(`${source.name}: holds no rows`);
  const values = new Float32Array(rows * D);
  let at = 0;
  for (const b of blocks) {
    values.set(b, at);
    at += b.length;
  }
  return { values, rows, D };
}

/** The seed a test set is binarized with, whatever the run's seed (the standard protocol: fixed test images). */
export const TEST_BINARIZATION_SEED = 12345;

/** Binarizes values in [0, 1] once, with a fixed seed (the standard protocol for a test set). */
export function binarizeRowsOnce(values: Float32Array, seed: number): Float32Array {
  const u = philoxUniforms(seed, 0, RANDOM_STREAMS.testBinarization, values.length);
  return values.map((p, i) => (u[i] < p ? 1 : 0));
}

/**
 * The rows of one pass of `source` in memory (at most `maxRows`), scaled into [0, 1] and — with `binarize` —
 * binarized once with the fixed protocol seed, so every run is scored on the same binary images (likewise
 * `dequantize`: uniformly dequantized once, dequantization.ts). For
 * evaluation sets, which are small enough to hold.
 *
 * @example
 * const test = await loadRows(mnistSource('test'), { binarize: true });
 */
export async function loadRows(source: RowSource, options: LoadRowsOptions = {}): Promise<Float32Array> {
  return (await loadRowSet(source, options)).values;
}

export interface LoadRowsOptions {
  maxRows?: number;
  binarize?: boolean;
  dequantize?: boolean;
}

/** loadRows, with the number of rows and their length D (to check them against a model's or other data's). */
export async function loadRowSet(
  source: RowSource,
  options: LoadRowsOptions = {},
): Promise<{ values: Float32Array; rows: number; D: number }> {
  const read = await readAllRows(source, options.maxRows);
  const values = options.binarize
    ? binarizeRowsOnce(read.values, TEST_BINARIZATION_SEED)
    : options.dequantize
      ? dequantizeRowsOnce(read.values)
      : read.values;
  return { ...read, values };
}
