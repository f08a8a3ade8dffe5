/**
 * The layout of a stream entry that carries rows, read and written in one place:
 *   d  the number of values per row (decimal text)
 *   t  'u8' (bytes, scaled by 1/255 like every u8 source) or 'f32' (little-endian float32)
 *   x  the raw values: one row or a packed block of rows, rows = len(x) / (d · bytes per value)
 * Other fields are ignored (a producer may add its own). No Redis client here: bytes in, bytes out.
 */
import { MAX_ROW_VALUES, type RowBlock } from '../row_block.ts';

export type EntryValueType = 'u8' | 'f32';

const VALUE_BYTES: Record<EntryValueType, number> = { u8: 1, f32: 4 };

/** A bad entry: the message names the stream, the entry id and what was expected. */
export class StreamEntryError extends Error {
  constructor(stream: string, id: string, message: string) {
    super(`${stream}: entry ${id}: ${message}`);
    this.name = 'StreamEntryError';
  }
}

const decoder = new TextDecoder();

/**
 * The rows of one entry (fields as XREADGROUP returns them: name, value, name, value …). Throws a
 * StreamEntryError for a missing or malformed field, a length that is not whole rows, or a D other than
 * `expectedD` (the D of the rows delivered before, when known).
 */
export function decodeEntry(stream: string, id: string, fields: Uint8Array[], expectedD: number | null): RowBlock {
  const byName = new Map<string, Uint8Array>();
  for (let i = 0; i + 1 < fields.length; i += 2) byName.set(decoder.decode(fields[i]), fields[i + 1]);
  const fail = (message: string): never => {
    throw new StreamEntryError(stream, id, message);
  };
  const names = () => [...byName.keys()].join(', ') || 'none';
  const field = (name: string, what: string) =>
    byName.get(name) ?? fail(`expected a field '${name}' (${what}); the entry has fields ${names()}`);
  const dText = decoder.decode(field('d', 'values per row'));
  const D = Number(dText);
  if (!/^\d+$/.test(dText) || D < 1) fail(`expected 'd' to be a positive integer (values per row), got '${dText}'`);
  if (D > MAX_ROW_VALUES)
    fail(
      `a row of d = ${D} values is over the limit of ${MAX_ROW_VALUES} values per row (128 MiB as float32, the largest WebGPU input binding)`,
    );
  const t = decoder.decode(field('t', "the value type, 'u8' or 'f32'"));
  if (t !== 'u8' && t !== 'f32') fail(`expected 't' to be 'u8' or 'f32', got '${t}'`);
  const type = t as EntryValueType;
  const x = field('x', "the rows' raw values");
  const rowBytes = D * VALUE_BYTES[type];
  if (x.length === 0 || x.length % rowBytes !== 0) {
    fail(
      `expected 'x' to hold whole rows of ${D} ${type} values (${rowBytes} bytes each), ` +
        `but it holds ${x.length} bytes (${(x.length / rowBytes).toFixed(2)} rows)`,
    );
  }
  if (expectedD !== null && D !== expectedD)
    fail(`rows have ${D} values, but the rows delivered before have ${expectedD}`);
  const rows = x.length / rowBytes;
  // A copy: the reply's bytes may be a view into a larger buffer the block would otherwise keep alive.
  if (type === 'u8') return { values: new Uint8Array(x), rows, D, scale: 1 / 255 };
  const view = new DataView(x.buffer, x.byteOffset, x.byteLength);
  const values = new Float32Array(rows * D);
  for (let i = 0; i < values.length; i++) {
    const v = (values[i] = view.getFloat32(4 * i, true));
    // The same rule, and the same words, as a file's floats (row_block.ts).
    if (!(v >= 0 && v <= 1)) {
      const fix = Number.isFinite(v)
        ? v > 1 && v <= 255
          ? ' If these are 0–255 intensities, divide by 255 before publishing, or publish them as u8, which is scaled by 1/255.'
          : ' Rescale the data into [0, 1].'
        : ' The data itself is not finite: fix or drop that row.';
      fail(
        `row ${Math.floor(i / D)}, value ${i % D} is ${v}: expected values in [0, 1], the range both likelihoods model.${fix}`,
      );
    }
  }
  return { values, rows, D, scale: 1 };
}

/** The fields (name, value, …) of an entry holding `rows` rows of `values` (row-major, rows · D long). */
export function encodeEntry(values: Uint8Array | Float32Array, D: number): (string | Uint8Array)[] {
  if (values instanceof Uint8Array) return ['d', String(D), 't', 'u8', 'x', values];
  const x = new Uint8Array(values.length * 4);
  const view = new DataView(x.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return ['d', String(D), 't', 'f32', 'x', x];
}
