/**
 * Rows as they travel through the data pipeline: a block of `rows` rows of D values, row-major, with the
 * multiplier that takes a raw value into [0, 1]. Blocks keep parsing and copying per block, not per row.
 */
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
