/**
 * Which rows of one stream entry a checkpoint holds, as a bitmap: bit r (byte r >> 3, least significant bit
 * first) for row r of the entry, ⌈rows / 8⌉ bytes. It is the value of the entry's field in a group's trained-rows
 * hash (redis/source.node.ts) and, base64, of a checkpoint's state, so a redelivered entry trains only the rows
 * no checkpoint holds yet. No Redis here: bytes in, bytes out.
 */

/** A bitmap of `rows` rows, none trained. */
export function noRowsTrained(rows: number): Uint8Array {
  return new Uint8Array(Math.ceil(rows / 8));
}

export function isTrained(bits: Uint8Array, row: number): boolean {
  return (bits[row >> 3] & (1 << (row & 7))) !== 0;
}

/** Marks `row` trained; true if it was not before. */
export function markTrained(bits: Uint8Array, row: number): boolean {
  const mask = 1 << (row & 7);
  if ((bits[row >> 3] & mask) !== 0) return false;
  bits[row >> 3] |= mask;
  return true;
}

/** How many of the `rows` rows are trained. */
export function trainedCount(bits: Uint8Array, rows: number): number {
  let n = 0;
  for (let r = 0; r < rows; r++) if (isTrained(bits, r)) n++;
  return n;
}

/** The rows not trained, ascending. */
export function untrainedRows(bits: Uint8Array, rows: number): Uint32Array {
  const out = new Uint32Array(rows - trainedCount(bits, rows));
  for (let r = 0, k = 0; r < rows; r++) if (!isTrained(bits, r)) out[k++] = r;
  return out;
}

/**
 * The bitmap stored for an entry of `rows` rows, or null when none is stored; a value of another length (an
 * entry rewritten since, another program's field) is refused with `where` and what was expected.
 */
export function storedTrainedRows(stored: Uint8Array | null, rows: number, where: string): Uint8Array | null {
  if (stored === null) return null;
  if (stored.length !== Math.ceil(rows / 8)) {
    throw new Error(
      `${where}: expected a bitmap of ${Math.ceil(rows / 8)} bytes for an entry of ${rows} rows, got ${stored.length} bytes`,
    );
  }
  // Bits past the last row mean nothing: cleared, so two bitmaps of the same rows compare equal.
  const bits = new Uint8Array(stored);
  if (rows % 8 !== 0) bits[bits.length - 1] &= (1 << (rows % 8)) - 1;
  return bits;
}

/** The bitmap as base64 text (a checkpoint's state is JSON). */
export function trainedRowsToBase64(bits: Uint8Array): string {
  let text = '';
  for (const byte of bits) text += String.fromCharCode(byte);
  return btoa(text);
}

export function trainedRowsFromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
