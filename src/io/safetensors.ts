/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON header
 * mapping each tensor name to { dtype, shape, data_offsets } plus an optional "__metadata__" map of strings,
 * then the raw little-endian data. PyTorch loads it with `safetensors.torch.load_file`. Only F32 is written
 * and read here. Works on bytes, so a browser page can read and write the same files.
 */
import { DataFormatError } from '../data/idx.ts';

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

export function encodeSafetensors(file: SafeTensorsFile): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: file.metadata };
  let offset = 0;
  for (const t of file.tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`safetensors: tensor '${t.name}' has ${t.data.length} values but shape ${t.shape.join('×')}`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  // Pad the JSON with spaces so the data starts 8-byte aligned, as the reference implementation does.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((HEADER_LENGTH_BYTES + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(HEADER_LENGTH_BYTES + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, HEADER_LENGTH_BYTES);
  let at = HEADER_LENGTH_BYTES + headerBytes.length;
  for (const t of file.tensors) {
    // Float32Array is little-endian on every platform WebGPU runs on.
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, source: string): SafeTensorsFile {
  if (bytes.length < HEADER_LENGTH_BYTES) throw new DataFormatError(source, 0, `expected an 8-byte safetensors header length, but the file holds ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (HEADER_LENGTH_BYTES + headerLength > bytes.length) {
    throw new DataFormatError(source, 0, `the header length ${headerLength} runs past the end of the file (${bytes.length} bytes): truncated or not a safetensors file`);
  }
  let header: Record<string, { dtype?: string; shape?: number[]; data_offsets?: [number, number] }> & { __metadata__?: Record<string, string> };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER_LENGTH_BYTES, HEADER_LENGTH_BYTES + headerLength)));
  } catch (error) {
    throw new DataFormatError(source, HEADER_LENGTH_BYTES, `expected a JSON header: ${(error as Error).message}`);
  }
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors: SafeTensor[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = entry as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    if (dtype !== 'F32') throw new DataFormatError(source, HEADER_LENGTH_BYTES, `tensor '${name}': expected dtype F32, found ${dtype}`);
    if (!Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2) {
      throw new DataFormatError(source, HEADER_LENGTH_BYTES, `tensor '${name}': expected a shape and two data_offsets`);
    }
    const [begin, end] = offsets;
    const count = shape.reduce((a, b) => a * b, 1);
    if (!(begin >= 0 && end <= dataLength && end - begin === count * 4)) {
      throw new DataFormatError(source, dataStart + begin,
        `tensor '${name}' (${shape.join('×')} F32 = ${count * 4} bytes) claims bytes ${begin}–${end} of a ${dataLength}-byte data section`);
    }
    const copy = new Uint8Array(end - begin);
    copy.set(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.push({ name, shape, data: new Float32Array(copy.buffer) });
  }
  return { tensors, metadata: header.__metadata__ ?? {} };
}
