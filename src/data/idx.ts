/**
 * The IDX format of LeCun's MNIST files: a 4-byte magic (0x00 0x00, a type code, the number of dimensions),
 * then each dimension as a big-endian u32, then the values, big-endian, row-major. Validated strictly: every
 * error names the source, the byte offset and what was expected. Works on bytes, so the browser can use it;
 * idx_file.node.ts reads files (and .gz) from disk.
 */
import { DataFormatError } from './data_format_error.ts';

export type IdxType = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';

const TYPE_CODES: Record<number, { type: IdxType; bytes: number }> = {
  0x08: { type: 'u8', bytes: 1 },
  0x09: { type: 'i8', bytes: 1 },
  0x0b: { type: 'i16', bytes: 2 },
  0x0c: { type: 'i32', bytes: 4 },
  0x0d: { type: 'f32', bytes: 4 },
  0x0e: { type: 'f64', bytes: 8 },
};

export interface IdxHeader {
  type: IdxType;
  /** Bytes per value. */
  valueBytes: number;
  /** All dimensions; the first counts rows (images), the rest make up one row. */
  dims: number[];
  /** Byte offset of the first value. */
  dataOffset: number;
  rows: number;
  /** Values per row: the product of dims[1..]. */
  rowLength: number;
}

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/** Validates the 4-byte magic (zeros, type code, dimension count); returns the type and the dimension count. */
export function checkIdxMagic(bytes: Uint8Array, source: string): { type: IdxType; valueBytes: number; ndims: number } {
  if (bytes.length < 4)
    throw new DataFormatError(
      source,
      bytes.length,
      `expected a 4-byte IDX magic number, but the file ends after ${bytes.length} bytes`,
    );
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (this looks gzip-compressed: name it .gz)' : '';
    throw new DataFormatError(
      source,
      0,
      `expected the IDX magic 0x00 0x00, found ${hex(bytes[0])} ${hex(bytes[1])}${gzip}`,
    );
  }
  const code = TYPE_CODES[bytes[2]];
  if (code === undefined) {
    throw new DataFormatError(
      source,
      2,
      `expected an IDX type code (0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32, 0x0e f64), found ${hex(bytes[2])}`,
    );
  }
  const ndims = bytes[3];
  if (ndims < 1) throw new DataFormatError(source, 3, 'expected at least one dimension, found 0');
  return { type: code.type, valueBytes: code.bytes, ndims };
}

/** Parses and validates the header; `bytes` needs to hold at least the header. */
export function parseIdxHeader(bytes: Uint8Array, source: string): IdxHeader {
  const { type, valueBytes, ndims } = checkIdxMagic(bytes, source);
  const dataOffset = 4 + 4 * ndims;
  if (bytes.length < dataOffset) {
    throw new DataFormatError(
      source,
      bytes.length,
      `expected ${ndims} dimension sizes (a ${dataOffset}-byte header), but the file ends after ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) {
    const size = view.getUint32(4 + 4 * i, false);
    if (size === 0) throw new DataFormatError(source, 4 + 4 * i, `dimension ${i} is 0; expected a positive size`);
    dims.push(size);
  }
  const rowLength = dims.slice(1).reduce((a, b) => a * b, 1);
  return { type, valueBytes, dims, dataOffset, rows: dims[0], rowLength };
}

/** Throws unless `totalBytes` is exactly header + every value the header promises. */
export function checkIdxLength(header: IdxHeader, totalBytes: number, source: string): void {
  const expected = header.dataOffset + header.rows * header.rowLength * header.valueBytes;
  const shape = header.dims.join('×');
  if (totalBytes < expected) {
    const complete = Math.floor((totalBytes - header.dataOffset) / (header.rowLength * header.valueBytes));
    throw new DataFormatError(
      source,
      totalBytes,
      `the header promises ${shape} ${header.type} values (${expected} bytes in all) but ` +
        `the file ends here, after ${complete} complete rows of ${header.rows} (truncated?)`,
    );
  }
  if (totalBytes > expected) {
    throw new DataFormatError(
      source,
      expected,
      `the header promises ${shape} ${header.type} values ending here, but ${totalBytes - expected} more bytes follow`,
    );
  }
}

export interface IdxArray {
  header: IdxHeader;
  /** u8 data as Uint8Array (zero-copy view); every other type converted to Float32Array. */
  values: Uint8Array | Float32Array;
}

/** Parses a whole IDX file held in memory. */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  const header = parseIdxHeader(bytes, source);
  checkIdxLength(header, bytes.length, source);
  const count = header.rows * header.rowLength;
  return {
    header,
    values: decodeIdxValues(
      bytes.subarray(header.dataOffset, header.dataOffset + count * header.valueBytes),
      header.type,
      count,
    ),
  };
}

/** `count` big-endian values of `type`: u8 as a zero-copy view, every other type converted to Float32Array. */
export function decodeIdxValues(bytes: Uint8Array, type: IdxType, count: number): Uint8Array | Float32Array {
  if (type === 'u8') return bytes.subarray(0, count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read: Record<Exclude<IdxType, 'u8'>, (i: number) => number> = {
    i8: (i) => view.getInt8(i),
    i16: (i) => view.getInt16(i * 2, false),
    i32: (i) => view.getInt32(i * 4, false),
    f32: (i) => view.getFloat32(i * 4, false),
    f64: (i) => view.getFloat64(i * 8, false),
  };
  const get = read[type];
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = get(i);
  return values;
}
