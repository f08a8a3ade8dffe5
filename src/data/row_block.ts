/**
 * Rows as they travel through the data pipeline: a block of `rows` rows of D values, row-major, with the
 * multiplier that takes a raw value into [0, 1]. Blocks keep parsing and copying per block, not per row.
 */
import { DataFormatError } from './idx.ts';
export interface RowBlock {
  values: Uint8Array | Float32Array;
  rows: number;
  D: number;
  /** 1/255 for bytes, 1 for floats. */
  scale: number;
}

/** Incremental parser of one file's bytes into row blocks: push() as bytes arrive, end() when they stop. */
export interface RowParser {
  /** Returns the whole rows completed by this chunk (possibly none). */
  push(chunk: Uint8Array): RowBlock | null;
  /** Throws if the bytes stopped short of what the header promised (or mid-row). */
  end(): void;
  /** Values per row; known once the header has been read (0 before). */
  readonly D: number;
  /** Rows the header promises, if the format says (null for raw rows). */
  readonly promisedRows: number | null;
}

/**
 * The shared part of every parser: once the header is known, bytes are cut into whole rows; a row split
 * across chunks waits in `carry` (at most one row's bytes), so memory stays one chunk + one row.
 */
export abstract class RowCutter {
  protected rowBytes = 0;
  protected rowsSeen = 0;
  protected bytesSeen = 0;
  private carry: Uint8Array = new Uint8Array(0);

  /** Decodes `rows` whole rows from `bytes` (exactly rows · rowBytes long). */
  protected abstract decode(bytes: Uint8Array, rows: number): RowBlock;

  /** Cuts `chunk` (data bytes only, header already consumed) into whole rows, keeping the remainder. */
  protected cut(chunk: Uint8Array): RowBlock | null {
    let bytes = chunk;
    if (this.carry.length > 0) {
      bytes = new Uint8Array(this.carry.length + chunk.length);
      bytes.set(this.carry);
      bytes.set(chunk, this.carry.length);
    }
    const rows = Math.floor(bytes.length / this.rowBytes);
    const used = rows * this.rowBytes;
    this.carry = bytes.slice(used);
    if (rows === 0) return null;
    this.rowsSeen += rows;
    // Copy so the block owns its bytes (the chunk may be a reused stream buffer).
    return this.decode(bytes.slice(0, used), rows);
  }

  protected get pendingBytes(): number {
    return this.carry.length;
  }
}

/**
 * A format with a header (IDX, .npy): header bytes are gathered until the subclass can parse them, then the
 * rest is cut into rows; the end checks that exactly the promised rows came. Subclasses say how to read the
 * header and how to phrase what it promised.
 */
export abstract class HeaderedRowParser extends RowCutter implements RowParser {
  protected readonly source: string;
  private headerBytes: Uint8Array | null = new Uint8Array(0);
  private dataOffset = 0;

  constructor(source: string) {
    super();
    this.source = source;
  }

  abstract get D(): number;
  abstract get promisedRows(): number | null;
  /**
   * Parses the header from the file's first bytes and returns where the data starts, or null when more bytes
   * are needed. Throws at once for anything already wrong. Must set up rowBytes when it returns an offset.
   */
  protected abstract readHeader(bytes: Uint8Array): number | null;
  /** What the header promised, e.g. "60000×28×28 u8 values" or "shape (1000, 784)". */
  protected abstract promise(): string;
  /** Throws the format's error for a file that ends inside its header. */
  protected abstract headerCutShort(bytes: Uint8Array): never;

  push(chunk: Uint8Array): RowBlock | null {
    this.bytesSeen += chunk.length;
    let data = chunk;
    if (this.headerBytes !== null) {
      const joined = new Uint8Array(this.headerBytes.length + chunk.length);
      joined.set(this.headerBytes);
      joined.set(chunk, this.headerBytes.length);
      const offset = this.readHeader(joined);
      if (offset === null) {
        this.headerBytes = joined;
        return null;
      }
      this.headerBytes = null;
      this.dataOffset = offset;
      data = joined.subarray(offset);
    }
    const block = this.cut(data);
    const rows = this.promisedRows!;
    if (this.rowsSeen > rows || (this.rowsSeen === rows && this.pendingBytes > 0)) {
      const end = this.dataOffset + rows * this.rowBytes;
      throw new DataFormatError(this.source, end, `the header promises ${this.promise()} ending at byte ${end}, but more bytes follow`);
    }
    return block;
  }

  end(): void {
    if (this.headerBytes !== null) this.headerCutShort(this.headerBytes);
    const rows = this.promisedRows!;
    if (this.rowsSeen < rows || this.pendingBytes > 0) {
      throw new DataFormatError(this.source, this.bytesSeen,
        `the header promises ${this.promise()} (${this.dataOffset + rows * this.rowBytes} bytes in all) but the file ends here, ` +
        `after ${this.rowsSeen} complete rows of ${rows} (truncated?)`);
    }
  }
}
