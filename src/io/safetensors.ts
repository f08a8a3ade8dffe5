/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON header
 * mapping each tensor name to { dtype, shape, data_offsets } plus an optional "__metadata__" map of strings,
 * then the raw little-endian data. PyTorch loads it with `safetensors.torch.load_file`. Only F32 is written
 * and read here. Works on bytes, so a browser page can read and write the same files.
 *
 * The reader is strict, as the reference implementation is: the header is at most MAX_SAFETENSORS_HEADER_BYTES
 * (checked before it is decoded), a JSON object whose entries each have a dtype, a shape of non-negative
 * integers and two integer data_offsets; the tensors, taken in offset order, tile the data section exactly (no
 * gap, no overlap, nothing after the last), and each one's length is its element count × 4 bytes.
 */
import { DataFormatError } from '../data/data_format_error.ts';

export interface SafeTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface SafeTensorsFile {
  tensors: SafeTensor[];
  metadata: Record<string, string>;
}

const HEADER_LENGTH_BYTES = 8;
/** The largest JSON header accepted: 100 MB, the reference implementation's limit (MAX_HEADER_SIZE). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;
const F32_BYTES = 4;

export function encodeSafetensors(file: SafeTensorsFile): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: file.metadata };
  let offset = 0;
  for (const t of file.tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new Error(`safetensors: tensor '${t.name}' has ${t.data.length} values but shape ${t.shape.join('×')}`);
    if (t.name === '__metadata__') throw new Error("safetensors: a tensor cannot be named '__metadata__'");
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  // Pad the JSON with spaces so the data starts 8-byte aligned, as the reference implementation does. The
  // padding counts UTF-8 bytes, not UTF-16 code units: non-ASCII metadata (a path, say) must not misalign it.
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padding = (8 - ((HEADER_LENGTH_BYTES + json.length) % 8)) % 8;
  const headerLength = json.length + padding;
  const out = new Uint8Array(HEADER_LENGTH_BYTES + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, HEADER_LENGTH_BYTES);
  out.fill(0x20, HEADER_LENGTH_BYTES + json.length, HEADER_LENGTH_BYTES + headerLength);
  let at = HEADER_LENGTH_BYTES + headerLength;
  for (const t of file.tensors) {
    // Float32Array is little-endian on every platform WebGPU runs on.
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

interface HeaderEntry {
  name: string;
  shape: number[];
  begin: number;
  end: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v).slice(0, 80));

export function decodeSafetensors(bytes: Uint8Array, source: string): SafeTensorsFile {
  if (bytes.length < HEADER_LENGTH_BYTES)
    throw new DataFormatError(
      source,
      0,
      `expected an 8-byte safetensors header length, but the file holds ${bytes.length} bytes`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    throw new DataFormatError(
      source,
      0,
      `the header length ${declared} is over the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit: corrupt or not a safetensors file`,
    );
  }
  const headerLength = Number(declared);
  if (HEADER_LENGTH_BYTES + headerLength > bytes.length) {
    throw new DataFormatError(
      source,
      0,
      `the header length ${headerLength} runs past the end of the file (${bytes.length} bytes): truncated or not a safetensors file`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(
        bytes.subarray(HEADER_LENGTH_BYTES, HEADER_LENGTH_BYTES + headerLength),
      ),
    );
  } catch (error) {
    throw new DataFormatError(
      source,
      HEADER_LENGTH_BYTES,
      `expected a JSON header in UTF-8: ${(error as Error).message}`,
    );
  }
  if (!isObject(header))
    throw new DataFormatError(
      source,
      HEADER_LENGTH_BYTES,
      `expected the header to be a JSON object, found ${describe(header)}`,
    );
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata = readMetadata(header.__metadata__, source);
  const entries: HeaderEntry[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name !== '__metadata__') entries.push(readEntry(name, entry, source));
  }
  // In offset order the tensors must tile the data section: each starts where the one before ended.
  const ordered = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const e of ordered) {
    if (e.begin !== expectedBegin) {
      const what =
        e.begin < expectedBegin ? 'overlaps the tensor before it' : 'leaves a gap after the tensor before it';
      throw new DataFormatError(
        source,
        dataStart + e.begin,
        `tensor '${e.name}' starts at data byte ${e.begin}, expected ${expectedBegin}: it ${what}`,
      );
    }
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (e.end - e.begin !== count * F32_BYTES) {
      throw new DataFormatError(
        source,
        dataStart + e.begin,
        `tensor '${e.name}' (${e.shape.join('×')} F32 = ${count * F32_BYTES} bytes) claims bytes ${e.begin}–${e.end} (${e.end - e.begin} bytes)`,
      );
    }
    if (e.end > dataLength) {
      throw new DataFormatError(
        source,
        dataStart + e.begin,
        `tensor '${e.name}' (${e.shape.join('×')} F32 = ${count * F32_BYTES} bytes) claims ` +
          `bytes ${e.begin}–${e.end} of a ${dataLength}-byte data section (truncated?)`,
      );
    }
    expectedBegin = e.end;
  }
  if (expectedBegin !== dataLength) {
    throw new DataFormatError(
      source,
      dataStart + expectedBegin,
      `expected the file to end after the last tensor, but ${dataLength - expectedBegin} more bytes follow`,
    );
  }
  // In file order: JSON objects list integer-like keys first, whatever order they were written in.
  const tensors = ordered.map(({ name, shape, begin, end }) => {
    const copy = new Uint8Array(end - begin);
    copy.set(bytes.subarray(dataStart + begin, dataStart + end));
    return { name, shape, data: new Float32Array(copy.buffer) };
  });
  return { tensors, metadata };
}

function readMetadata(value: unknown, source: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value))
    throw new DataFormatError(
      source,
      HEADER_LENGTH_BYTES,
      `expected "__metadata__" to be an object of strings, found ${describe(value)}`,
    );
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string')
      throw new DataFormatError(
        source,
        HEADER_LENGTH_BYTES,
        `expected "__metadata__" value '${key}' to be a string, found ${describe(v)}`,
      );
  }
  return value as Record<string, string>;
}

function readEntry(name: string, entry: unknown, source: string): HeaderEntry {
  const refuse = (what: string): never => {
    throw new DataFormatError(source, HEADER_LENGTH_BYTES, `tensor '${name}': ${what}`);
  };
  if (!isObject(entry)) return refuse(`expected an object { dtype, shape, data_offsets }, found ${describe(entry)}`);
  if (entry.dtype !== 'F32') refuse(`expected dtype F32, found ${describe(entry.dtype)}`);
  const { shape, data_offsets: offsets } = entry;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    refuse(`expected a shape of non-negative integers, found ${describe(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    refuse(`expected data_offsets to be two non-negative integers [begin, end], found ${describe(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) refuse(`expected data_offsets [begin, end] with begin ≤ end, found [${begin}, ${end}]`);
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count * F32_BYTES)) refuse(`the shape ${(shape as number[]).join('×')} is too large`);
  return { name, shape: shape as number[], begin, end };
}
