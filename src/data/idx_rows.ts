/**
 * Streaming IDX: rows are emitted as the bytes arrive, the header is validated as soon as it is complete (the
 * magic as soon as its 4 bytes are here), and the end checks that exactly the promised rows came.
 */
import { checkIdxMagic, decodeIdxValues, parseIdxHeader, type IdxHeader } from './idx.ts';
import { HeaderedRowParser, type RowBlock } from './row_block.ts';

export class IdxRowParser extends HeaderedRowParser {
  private header: IdxHeader | null = null;

  get D(): number {
    return this.header?.rowLength ?? 0;
  }

  get promisedRows(): number | null {
    return this.header?.rows ?? null;
  }

  protected readHeader(bytes: Uint8Array): number | null {
    if (bytes.length < 4) return null;
    const { ndims } = checkIdxMagic(bytes, this.source); // a wrong file fails at once, not at the end
    if (bytes.length < 4 + 4 * ndims) return null;
    this.header = parseIdxHeader(bytes, this.source);
    this.rowBytes = this.header.rowLength * this.header.valueBytes;
    return this.header.dataOffset;
  }

  protected promise(): string {
    return `${this.header!.dims.join('×')} ${this.header!.type} values`;
  }

  protected headerCutShort(bytes: Uint8Array): never {
    parseIdxHeader(bytes, this.source); // throws the precise "the file ends after n bytes" error
    throw new Error('unreachable');
  }

  protected decode(bytes: Uint8Array, rows: number): RowBlock {
    const h = this.header!;
    return { values: decodeIdxValues(bytes, h.type, rows * h.rowLength), rows, D: h.rowLength, scale: h.type === 'u8' ? 1 / 255 : 1 };
  }
}
