/**
 * The entries a Redis stream source hands out, on their way in and while they are out (source.node.ts): an entry
 * as XREADGROUP, XAUTOCLAIM and XRANGE reply with it, the record the source keeps of each entry it delivered and
 * nobody acknowledged yet, and the rows of a redelivered entry that no checkpoint holds. Apart from the class so
 * that the class reads as the protocol; no Redis client here: replies in, rows out.
 */
import type { RowBlock } from '../row_block.ts';
import { storedTrainedRows, trainedCount, untrainedRows } from '../trained_rows.ts';

/**
 * One entry as XREADGROUP / XAUTOCLAIM return it; fields null for an entry deleted since it was delivered. Bytes
 * (ioredis's Buffers) typed as Uint8Array: the package's declarations name no Node type (test/consumer/run.sh).
 */
export interface RawEntry {
  id: string;
  fields: Uint8Array[] | null;
}

const utf8 = new TextDecoder();

/** An entry this pass delivered and nobody acknowledged yet. */
export interface Delivery {
  /** The number of the first row delivered (the pass's numbering). */
  start: number;
  /** Rows in the entry. */
  rows: number;
  /** The entry's rows that were delivered, in delivery order (row start + k is row picked[k]); null: all of them, in order. */
  picked: Uint32Array | null;
  /** The rows the trained-rows hash holds for it, as far as this source knows (null: none). */
  recorded: Uint8Array | null;
}

/** Reads `[[key, [[id, fields], …]]]` (XREADGROUP's reply) or `[[id, fields], …]` into entries. */
export function entriesOf(reply: unknown): RawEntry[] {
  const list = reply as [Uint8Array, Uint8Array[] | null][];
  return list.map(([id, fields]) => ({ id: utf8.decode(id), fields }));
}

export function readGroupReply(reply: unknown): RawEntry[] {
  if (reply === null) return [];
  const [[, entries]] = reply as [Uint8Array, unknown][];
  return entriesOf(entries);
}

/**
 * Which rows of an entry of `rows` rows to deliver again, given its bitmap as the trained-rows hash holds it
 * (`stored`; null: none): `recorded` is the bitmap as read, `picked` the rows no checkpoint holds (null: all of them).
 * A bitmap that cannot be read is said on stderr (`where` names the entry and the hash) and every row is
 * delivered again: trained again rather than skipped.
 */
export function rowsToRedeliver(
  stored: Uint8Array | null,
  rows: number,
  where: string,
): { recorded: Uint8Array | null; picked: Uint32Array | null } {
  let recorded: Uint8Array | null = null;
  try {
    recorded = storedTrainedRows(stored, rows, where);
  } catch (error) {
    console.error(`aevb: ${(error as Error).message}; all its rows are delivered again`);
  }
  const picked = recorded !== null && trainedCount(recorded, rows) > 0 ? untrainedRows(recorded, rows) : null;
  return { recorded, picked };
}

/** The rows `picked` of a block (ascending row indices), in that order. */
export function pickRows(block: RowBlock, picked: Uint32Array): RowBlock {
  const { D } = block;
  const values =
    block.values instanceof Uint8Array ? new Uint8Array(picked.length * D) : new Float32Array(picked.length * D);
  picked.forEach((row, k) => values.set(block.values.subarray(row * D, (row + 1) * D), k * D));
  return { ...block, values, rows: picked.length };
}
