/**
 * Streaming NumPy .npy (format versions 1–3): the magic "\x93NUMPY", a version, a little-endian header length
 * and a Python-literal header {'descr': …, 'fortran_order': …, 'shape': (N, …)}, then the data. Accepted
 * dtypes: u1 (bytes, scaled by 1/255), f4 and f8 (either endianness); C order only — a Fortran-order file
 * stores columns, not rows, and cannot be streamed row by row, so it is refused with that reason. The header
 * may be at most MAX_HEADER_BYTES (checked from its length field, before it is gathered).
 */
import { DataFormatError } from './data_format_error.ts';
import {
  checkRowLength,
  HeaderedRowParser,
  MAX_HEADER_BYTES,
  type HeaderProgress,
  type RowBlock,
} from './row_block.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export interface NpyHeader {
  dtype: 'u1' | 'f4' | 'f8';
  littleEndian: boolean;
  shape: number[];
  dataOffset: number;
}

/** A .npy header's dictionary as written, whatever the array holds. */
export interface NpyDictionary {
  /** The full dtype: '<f4', '|u1', '<U5'. */
  descr: string;
  fortranOrder: boolean;
  /** The shape's dimensions; NaN for one that is not a non-negative integer. */
  dims: number[];
  /** The shape as written, between its parentheses. */
  shapeText: string;
  /** Byte offset of the dictionary's text, which errors about its fields point at. */
  textStart: number;
  dataOffset: number;
}

const DESCR = /^[<>|=]([biufcSUV])(\d+)$/;

/** Bytes per item of a .npy descr ('<f4' → 4, '|u1' → 1, '<U5' → 20: four bytes per character); throws for others. */
export function npyItemBytes(descr: string): number {
  const m = DESCR.exec(descr);
  if (m === null || Number(m[2]) < 1)
    throw new Error(
      `aevb: .npy dtype '${descr}' is not a fixed-size type aevb can copy (expected numbers or fixed-length strings, like '<i8', '|u1', '<f4', '<U5')`,
    );
  return Number(m[2]) * (m[1] === 'U' ? 4 : 1);
}

/**
 * The dictionary of any .npy header (rows, or a 1-D array of labels), with the magic, the version and the
 * header's length checked; or how many bytes it needs when `bytes` holds less than the whole header.
 */
export function readNpyDictionary(bytes: Uint8Array, source: string): NpyDictionary | { need: number } {
  for (let i = 0; i < Math.min(bytes.length, MAGIC.length); i++) {
    if (bytes[i] !== MAGIC[i])
      throw new DataFormatError(
        source,
        i,
        `expected the .npy magic "\\x93NUMPY", found byte 0x${bytes[i].toString(16).padStart(2, '0')}`,
      );
  }
  if (bytes.length < 10) return { need: 10 };
  const major = bytes[6];
  if (major < 1 || major > 3)
    throw new DataFormatError(source, 6, `expected .npy format version 1, 2 or 3, found ${major}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) return { need: 8 + lengthBytes };
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > MAX_HEADER_BYTES) {
    throw new DataFormatError(
      source,
      8,
      `the header length ${headerLength} is over the limit of ${MAX_HEADER_BYTES} bytes (a .npy header is normally under 200): corrupt or not a .npy file`,
    );
  }
  const textStart = 8 + lengthBytes;
  const dataOffset = textStart + headerLength;
  if (bytes.length < dataOffset) return { need: dataOffset };
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(textStart, dataOffset));
  const fail = (at: number, what: string): never => {
    throw new DataFormatError(source, textStart + at, `${what} in the .npy header ${JSON.stringify(text.trim())}`);
  };
  const dict = parsePythonDict(text, fail);
  const keys = Object.keys(dict);
  const missing = NPY_KEYS.filter((k) => !keys.includes(k));
  const extra = keys.filter((k) => !(NPY_KEYS as readonly string[]).includes(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new DataFormatError(
      source,
      textStart,
      `expected a header with exactly 'descr', 'fortran_order' and ` +
        `'shape'${missing.length > 0 ? `; missing ${missing.map((k) => `'${k}'`).join(', ')}` : ''}${extra.length > 0 ? `; unknown ${extra.map((k) => `'${k}'`).join(', ')}` : ''}, ` +
        `` +
        `found ${JSON.stringify(text.trim())}`,
    );
  }
  const { descr, fortran_order: fortran, shape } = dict;
  if (typeof descr !== 'string' || !/^[<>|=][a-zA-Z]\d*$/.test(descr)) {
    throw new DataFormatError(
      source,
      textStart,
      `expected 'descr' to be a simple dtype like '<f4' or '|u1' (not a structured dtype), found ${JSON.stringify(descr)}`,
    );
  }
  if (typeof fortran !== 'boolean')
    throw new DataFormatError(
      source,
      textStart,
      `expected 'fortran_order' to be True or False, found ${JSON.stringify(fortran)}`,
    );
  if (!Array.isArray(shape))
    throw new DataFormatError(
      source,
      textStart,
      `expected 'shape' to be a tuple like (60000, 784), found ${JSON.stringify(shape)}`,
    );
  const dims = shape.map((d) => (typeof d === 'number' ? d : NaN));
  return {
    descr,
    fortranOrder: fortran,
    dims,
    shapeText: shape.map((d) => (typeof d === 'number' ? String(d) : JSON.stringify(d))).join(', '),
    textStart,
    dataOffset,
  };
}

/** The keys a .npy header's dict holds, no more and no fewer (as NumPy's reader requires). */
const NPY_KEYS = ['descr', 'fortran_order', 'shape'] as const;

/** A value of the Python literals a .npy header uses: strings, True/False/None, integers, tuples and lists of them. */
type PythonValue = string | boolean | null | number | PythonValue[];

/**
 * Parses the Python-literal dict of a .npy header ({'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }):
 * keys are strings, values strings (single or double quotes, backslash escapes), True, False, None, integers (a
 * trailing L, from Python 2, allowed; more than 15 digits is NaN: not a size a file can have), and tuples or lists
 * of those. Anything else, or text after the closing brace other than blanks, is refused through `fail` at its
 * offset in `text`. A shape written inside a string is a string, never the shape.
 */
export function parsePythonDict(text: string, fail: (at: number, what: string) => never): Record<string, PythonValue> {
  let at = 0;
  const blanks = () => {
    while (at < text.length && /\s/.test(text[at])) at++;
  };
  const expect = (c: string) => {
    blanks();
    if (text[at] !== c) fail(at, `expected '${c}', found ${at < text.length ? `'${text[at]}'` : 'the end'}`);
    at++;
  };
  const string = (): string => {
    const quote = text[at++];
    let out = '';
    while (at < text.length && text[at] !== quote) {
      if (text[at] === '\\') {
        at++;
        if (at >= text.length) break;
      }
      out += text[at++];
    }
    if (at >= text.length) fail(at, 'a string that does not end');
    at++;
    return out;
  };
  const sequence = (close: string): PythonValue[] => {
    const items: PythonValue[] = [];
    for (;;) {
      blanks();
      if (text[at] === close) {
        at++;
        return items;
      }
      items.push(value());
      blanks();
      if (text[at] === ',') at++;
      else if (text[at] !== close)
        fail(at, `expected ',' or '${close}', found ${at < text.length ? `'${text[at]}'` : 'the end'}`);
    }
  };
  const value = (): PythonValue => {
    blanks();
    const c = text[at];
    if (c === "'" || c === '"') return string();
    if (c === '(') {
      at++;
      return sequence(')');
    }
    if (c === '[') {
      at++;
      return sequence(']');
    }
    const word = /^(True|False|None|[+-]?\d+L?)(?![\w.])/.exec(text.slice(at, at + 40));
    if (word === null)
      fail(
        at,
        `expected a string, a number, True, False, None or a tuple, found ${JSON.stringify(text.slice(at, at + 12))}`,
      );
    at += word![1].length;
    switch (word![1]) {
      case 'True':
        return true;
      case 'False':
        return false;
      case 'None':
        return null;
      default: {
        const digits = word![1].replace(/L$/, '');
        return digits.replace(/^[+-]/, '').length > 15 ? NaN : parseInt(digits, 10);
      }
    }
  };
  expect('{');
  const dict: Record<string, PythonValue> = {};
  for (;;) {
    blanks();
    if (text[at] === '}') {
      at++;
      break;
    }
    const keyAt = at;
    if (text[at] !== "'" && text[at] !== '"')
      fail(at, `expected a quoted key or '}', found ${at < text.length ? `'${text[at]}'` : 'the end'}`);
    const key = string();
    if (Object.hasOwn(dict, key)) fail(keyAt, `the key '${key}' is given twice`);
    expect(':');
    dict[key] = value();
    blanks();
    if (text[at] === ',') at++;
    else if (text[at] !== '}') fail(at, `expected ',' or '}', found ${at < text.length ? `'${text[at]}'` : 'the end'}`);
  }
  blanks();
  if (at < text.length) fail(at, `unexpected text after the dict: ${JSON.stringify(text.slice(at, at + 12))}`);
  return dict;
}

/** Parses the header of an array of rows if `bytes` holds all of it, else says how many bytes it needs. */
export function parseNpyHeader(bytes: Uint8Array, source: string): NpyHeader | { need: number } {
  const header = readNpyDictionary(bytes, source);
  if ('need' in header) return header;
  const { textStart, dims } = header;
  const dtype = header.descr.slice(1);
  if (dtype !== 'u1' && dtype !== 'f4' && dtype !== 'f8') {
    throw new DataFormatError(
      source,
      textStart,
      `expected dtype u1, f4 or f8, found '${header.descr}' (convert with array.astype('float32'))`,
    );
  }
  if (header.fortranOrder) {
    throw new DataFormatError(
      source,
      textStart,
      'expected C order (fortran_order False): a Fortran-order array stores columns, ' +
        'not rows, so it cannot be streamed row by row (save it with np.ascontiguousarray)',
    );
  }
  if (dims.length < 2 || dims.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    const hint =
      dims.length === 1
        ? ' (a 1-D array is one value per item, like labels: save rows as a 2-D array, e.g. x.reshape(len(x), -1))'
        : '';
    throw new DataFormatError(
      source,
      textStart,
      `expected a shape of at least 2 positive integer dimensions (rows, values…), found (${header.shapeText})${hint}`,
    );
  }
  checkRowLength(
    source,
    textStart,
    dims.slice(1).reduce((a, b) => a * b, 1),
    dims.slice(1).join('×'),
  );
  return { dtype, littleEndian: header.descr[0] !== '>', shape: dims, dataOffset: header.dataOffset };
}

/** Whether this machine stores numbers little-endian (every platform Node and browsers run on today, in practice). */
const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

export class NpyRowParser extends HeaderedRowParser {
  private header: NpyHeader | null = null;

  get D(): number {
    return this.header === null ? 0 : this.header.shape.slice(1).reduce((a, b) => a * b, 1);
  }

  get promisedRows(): number | null {
    return this.header?.shape[0] ?? null;
  }

  protected readHeader(bytes: Uint8Array): HeaderProgress {
    const parsed = parseNpyHeader(bytes, this.source);
    if ('need' in parsed) return parsed;
    this.header = parsed;
    this.rowBytes = this.D * (parsed.dtype === 'u1' ? 1 : parsed.dtype === 'f4' ? 4 : 8);
    return { dataOffset: parsed.dataOffset };
  }

  protected promise(): string {
    return `shape (${this.header!.shape.join(', ')})`;
  }

  protected headerCutShort(bytes: Uint8Array): never {
    parseNpyHeader(bytes, this.source); // a wrong magic or version is the better message
    throw new DataFormatError(
      this.source,
      bytes.length,
      `the file ends after ${bytes.length} bytes, inside the .npy header`,
    );
  }

  protected decode(bytes: Uint8Array, rows: number): RowBlock {
    const h = this.header!;
    const D = this.D;
    if (h.dtype === 'u1') return { values: bytes, rows, D, scale: 1 / 255 };
    // The block owns its bytes (RowCutter.cut copies them once): little-endian float32 on a little-endian host
    // is used in place, not decoded value by value.
    if (h.dtype === 'f4' && h.littleEndian && LITTLE_ENDIAN_HOST && bytes.byteOffset % 4 === 0) {
      return { values: new Float32Array(bytes.buffer, bytes.byteOffset, rows * D), rows, D, scale: 1 };
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const values = new Float32Array(rows * D);
    if (h.dtype === 'f4') for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(4 * i, h.littleEndian);
    else for (let i = 0; i < values.length; i++) values[i] = view.getFloat64(8 * i, h.littleEndian);
    return { values, rows, D, scale: 1 };
  }
}
