/**
 * Streaming IDX: rows are emitted as the bytes arrive, the header is validated as soon as it is complete,
 * and the end checks that exactly the promised rows came (no more, no less), with the byte offset in every
 * error. The whole-file parser of idx.ts shares the header logic.
 */
import { checkIdxMagic, DataFormatError, decodeIdxValues, parseIdxHeader, type IdxHeader } from './idx.ts';
import { RowCutter, type RowBlock, type RowParser } from './row_block.ts';

export class IdxRowParser extends RowCutter implements RowParser {
  private header: IdxHeader | null = null;
  private headerBytes: Uint8Array = new Uint8Array(0);
  private readonly source: string;

  constructor(source: string) {
    super();
    this.source = source;
  }

  get D(): number {
    return this.header?.rowLength ?? 0;
  }

  get promisedRows(): number | null {
    return this.header?.rows ?? null;
  }

  push(chunk: Uint8Array): RowBlock | null {
    const start = this.bytesSeen;
    this.bytesSeen += chunk.length;
    let data = chunk;
    if (this.header === null) {
      const joined = new Uint8Array(this.headerBytes.length + chunk.length);
      joined.set(this.headerBytes);
      joined.set(chunk, this.headerBytes.length);
      // The header's length is known from its 4th byte; wait until all of it is here.
      if (joined.length < 4 || joined.length < 4 + 4 * joined[3]) {
        if (joined.length >= 4) checkIdxMagic(joined, this.source); // a wrong file fails at once, not at the end
        this.headerBytes = joined;
        return null;
      }
      this.header = parseIdxHeader(joined, this.source);
      this.rowBytes = this.header.rowLength * this.header.valueBytes;
      data = joined.subarray(this.header.dataOffset);
      this.headerBytes = new Uint8Array(0);
    }
    const header = this.header;
    const block = this.cut(data);
    if (this.rowsSeen > header.rows || (this.rowsSeen === header.rows && this.pendingBytes > 0)) {
      const expectedEnd = header.dataOffset + header.rows * this.rowBytes;
      throw new DataFormatError(this.source, Math.max(expectedEnd, start),
        `the header promises ${header.dims.join('×')} ${header.type} values ending at byte ${expectedEnd}, but more bytes follow`);
    }
    return block;
  }

  end(): void {
    if (this.header === null) {
      parseIdxHeader(this.headerBytes, this.source); // throws the precise "file ends after n bytes" error
      return;
    }
    const h = this.header;
    if (this.rowsSeen < h.rows || this.pendingBytes > 0) {
      throw new DataFormatError(this.source, this.bytesSeen,
        `the header promises ${h.dims.join('×')} ${h.type} values (${h.dataOffset + h.rows * this.rowBytes} bytes in all) but the file ends here, after ${this.rowsSeen} complete rows of ${h.rows} (truncated?)`);
    }
  }

  protected decode(bytes: Uint8Array, rows: number): RowBlock {
    const h = this.header!;
    return { values: decodeIdxValues(bytes, h.type, rows * h.rowLength), rows, D: h.rowLength, scale: h.type === 'u8' ? 1 / 255 : 1 };
  }
}
