// Node-only: a file of labels, one per data row — a 1-D IDX file (MNIST's *-labels-idx1-ubyte) or a 1-D .npy
// (any fixed-size dtype: integers, floats, fixed-length strings), optionally .gz — read as its header (the
// count and the dtype, known before any row is encoded) and then as raw bytes, copied through unchanged.
import { fileBytes } from './file_source.node.ts';
import { DataFormatError } from './data_format_error.ts';
import { checkIdxMagic, parseIdxHeader, type IdxType } from './idx.ts';
import { npyItemBytes, readNpyDictionary } from './npy_rows.ts';
import { formatOfName } from './row_format.ts';

export interface LabelsFile {
  path: string;
  /** The labels' dtype as a .npy descr: IDX values are big-endian ('>i4'), a .npy's is kept as it is. */
  descr: string;
  /** Labels the header promises. */
  count: number;
  /** Byte offset of the first label (after the header). */
  dataOffset: number;
}

/** IDX types as .npy descrs: IDX stores values big-endian, and numpy reads '>' types as they are. */
const IDX_DESCR: Record<IdxType, string> = { u8: '|u1', i8: '|i1', i16: '>i2', i32: '>i4', f32: '>f4', f64: '>f8' };

type HeaderProgress = Omit<LabelsFile, 'path'> | { need: number };

/** Reads the header of a labels file; throws naming the file unless it is a 1-D IDX or .npy. */
export async function readLabelsHeader(path: string): Promise<LabelsFile> {
  const format = formatOfName(path);
  if (format === null)
    throw new Error(
      `${path}: cannot tell the labels' format from the name (expected .npy, .idx or *-ubyte, optionally .gz)`,
    );
  const read = format === 'idx' ? idxLabelsHeader : npyLabelsHeader;
  const pieces: Uint8Array[] = [];
  let length = 0;
  let need = 1;
  for await (const chunk of fileBytes(path)) {
    pieces.push(chunk.slice());
    length += chunk.length;
    if (length < need) continue;
    const progress = read(join(pieces, length), path);
    if (!('need' in progress)) return { path, ...progress };
    need = progress.need;
  }
  throw new DataFormatError(
    path,
    length,
    `the file ends after ${length} bytes, inside its header (a ${format === 'idx' ? 'IDX' : '.npy'} labels file needs ${need})`,
  );
}

function idxLabelsHeader(bytes: Uint8Array, path: string): HeaderProgress {
  if (bytes.length < 4) return { need: 4 };
  const { ndims } = checkIdxMagic(bytes, path);
  if (bytes.length < 4 + 4 * ndims) return { need: 4 + 4 * ndims };
  const header = parseIdxHeader(bytes, path);
  if (ndims !== 1) {
    throw new DataFormatError(
      path,
      3,
      `expected labels, one per row (a 1-D IDX file like t10k-labels-idx1-ubyte), but ` +
        `this file has ${ndims} dimensions (${header.dims.join('×')}): an images file?`,
    );
  }
  return { descr: IDX_DESCR[header.type], count: header.rows, dataOffset: header.dataOffset };
}

function npyLabelsHeader(bytes: Uint8Array, path: string): HeaderProgress {
  const header = readNpyDictionary(bytes, path);
  if ('need' in header) return header;
  const { dims } = header;
  if (dims.length !== 1 || !Number.isSafeInteger(dims[0])) {
    throw new DataFormatError(
      path,
      header.textStart,
      `expected labels, one per row (a 1-D array, shape (N,)), found shape (${header.shapeText})`,
    );
  }
  try {
    npyItemBytes(header.descr);
  } catch (error) {
    throw new DataFormatError(path, header.textStart, (error as Error).message.replace(/^aevb: /, ''));
  }
  return { descr: header.descr, count: dims[0], dataOffset: header.dataOffset };
}

/**
 * The labels' bytes (count × item size, after the header), streamed; throws naming the file when it holds
 * fewer or more bytes than its header promises.
 */
export async function* labelBytes(labels: LabelsFile): AsyncGenerator<Uint8Array> {
  const expected = labels.count * npyItemBytes(labels.descr);
  let offset = 0;
  for await (const chunk of fileBytes(labels.path)) {
    const start = Math.max(0, labels.dataOffset - offset);
    offset += chunk.length;
    if (start >= chunk.length) continue;
    const data = offset - labels.dataOffset;
    if (data > expected) {
      throw new DataFormatError(
        labels.path,
        labels.dataOffset + expected,
        `the header promises ${labels.count} labels ending here, but more bytes follow`,
      );
    }
    yield chunk.subarray(start);
  }
  if (offset < labels.dataOffset + expected) {
    throw new DataFormatError(
      labels.path,
      offset,
      `the header promises ${labels.count} labels (${labels.dataOffset + expected} bytes in all) but the file ends here (truncated?)`,
    );
  }
}

function join(pieces: Uint8Array[], length: number): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  const joined = new Uint8Array(length);
  let at = 0;
  for (const p of pieces) {
    joined.set(p, at);
    at += p.length;
  }
  pieces.splice(0, pieces.length, joined);
  return joined;
}
