/**
 * The header of a NumPy .npy file, format version 1.0 (NumPy's `numpy.lib.format`): the magic "\x93NUMPY",
 * the version bytes 1 0, the header's length as a little-endian u16, then a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (N, 40), }` padded with spaces and ended by '\n', so
 * that the data starts at a multiple of 64 bytes, as numpy.save writes it. Environment-neutral: bytes only;
 * npy_writer.node.ts streams a file with it.
 */
import { npyItemBytes } from '../data/npy_rows.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]; // \x93NUMPY, version 1.0
/** The data starts at a multiple of this many bytes (the format's alignment for version 1.0 files). */
export const NPY_ALIGNMENT = 64;
const PREFIX_BYTES = MAGIC.length + 2;

/**
 * The header bytes (magic to '\n') of a C-order array of `shape` and dtype `descr`, padded to a multiple of
 * 64 bytes and to at least `minBytes` (so a header written before the row count is known can be rewritten
 * in place with the count: reserve the length of the header for the largest count).
 */
export function npyHeader(descr: string, shape: readonly number[], minBytes = 0): Uint8Array {
  npyItemBytes(descr);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new Error(`aevb: .npy shape (${shape.join(', ')}) must hold non-negative integers`);
  }
  // A 1-tuple needs its trailing comma in Python: (5,) is a tuple, (5) a number.
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = PREFIX_BYTES + dict.length + 1;
  const total = Math.max(roundUp(unpadded, NPY_ALIGNMENT), roundUp(minBytes, NPY_ALIGNMENT));
  const headerLength = total - PREFIX_BYTES;
  if (headerLength > 0xffff)
    throw new Error(`aevb: a .npy 1.0 header holds at most 65535 bytes, this one needs ${headerLength}`);
  const bytes = new Uint8Array(total);
  bytes.set(MAGIC);
  new DataView(bytes.buffer).setUint16(MAGIC.length, headerLength, true);
  const text = dict + ' '.repeat(total - unpadded) + '\n';
  for (let i = 0; i < text.length; i++) bytes[PREFIX_BYTES + i] = text.charCodeAt(i); // ASCII only
  return bytes;
}

/** The header length that leaves room for any row count up to 2^53 before the rest of `rowShape`. */
export function npyHeaderRoom(descr: string, rowShape: readonly number[]): number {
  return npyHeader(descr, [Number.MAX_SAFE_INTEGER, ...rowShape]).length;
}

function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}
