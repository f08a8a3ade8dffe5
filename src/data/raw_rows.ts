/**
 * Raw rows: a file that is nothing but rows of D values, u8 (scaled by 1/255) or little-endian f32, with no
 * header — so D must be given, and the only check possible is that the file holds a whole number of rows.
 */
import { DataFormatError } from './data_format_error.ts';
import { MAX_ROW_VALUES, RowCutter, type RowBlock, type RowParser } from './row_block.ts';

export type RawFormat = 'raw-u8' | 'raw-f32';

export class RawRowParser extends RowCutter implements RowParser {
  readonly D: number;
  readonly promisedRows = null;
  private readonly format: RawFormat;
  protected readonly source: string;

  constructor(source: string, format: RawFormat, D: number) {
    super();
    if (!Number.isInteger(D) || D < 1 || D > MAX_ROW_VALUES)
      throw new Error(`${source}: raw rows need --dim D, an integer from 1 to ${MAX_ROW_VALUES}, got ${D}`);
    this.source = source;
    this.format = format;
    this.D = D;
    this.rowBytes = D * (format === 'raw-u8' ? 1 : 4);
  }

  push(chunk: Uint8Array): RowBlock | null {
    this.bytesSeen += chunk.length;
    return this.cut(chunk);
  }

  end(): void {
    if (this.pendingBytes > 0) {
      throw new DataFormatError(
        this.source,
        this.bytesSeen - this.pendingBytes,
        `expected whole rows of ${this.D} ${this.format === 'raw-u8' ? 'u8' : 'f32'} values (${this.rowBytes} ` +
          `bytes each), but the file ends ${this.pendingBytes} bytes into row ${this.rowsSeen}`,
      );
    }
  }

  protected decode(bytes: Uint8Array, rows: number): RowBlock {
    if (this.format === 'raw-u8') return { values: bytes, rows, D: this.D, scale: 1 / 255 };
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const values = new Float32Array(rows * this.D);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(4 * i, true);
    return { values, rows, D: this.D, scale: 1 };
  }
}
