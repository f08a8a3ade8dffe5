/**
 * Rows as they travel through the data pipeline: a block of `rows` rows of D values, row-major, with the
 * multiplier that takes a raw value into [0, 1]. Blocks keep parsing and copying per block, not per row.
 *
 * Memory is bounded whatever a file claims: a header may ask for at most MAX_HEADER_BYTES and a row for at
 * most MAX_ROW_VALUES values, both refused before anything is buffered; beyond that a parser holds one chunk
 * and at most one partial row, gathered as a list of pieces and joined once (never regrown by copying).
 */
import { DataFormatError } from './data_format_error.ts';

export interface RowBlock {
  values: Uint8Array | Float32Array;
  rows: number;
  D: number;
  /** 1/255 for bytes, 1 for floats. */
  scale: number;
  /**
   * The rows' numbers in delivery order within their pass (0, 1, …), present when the pipeline tracks which
   * rows a checkpoint contains (for sources that acknowledge rows: acknowledging_source.ts).
   */
  ids?: Float64Array;
  /**
   * A source that waits for rows (a stream) says so with an empty block (rows 0) marked idle when it has waited
   * a while and none came: whoever holds rows back for them (the shuffle window) lets them go rather than wait for
   * rows that may not be coming.
   */
  idle?: boolean;
}

/**
 * The most values one row may have: 2^25, so that a row as float32 fills at most 128 MiB — WebGPU's default
 * maxStorageBufferBindingSize, the largest input binding every adapter grants. A header promising more is
 * refused before any row is buffered.
 */
export const MAX_ROW_VALUES = 2 ** 25;

/** The most header bytes a format may ask to be buffered (a .npy header; IDX headers are ≤ 1024 bytes). */
export const MAX_HEADER_BYTES = 1 << 20;

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
  /** The file's whole length in bytes as its header says, once the header is read (null before, and for raw rows). */
  readonly expectedBytes?: number | null;
}

/** Throws unless D values per row are within MAX_ROW_VALUES; `offset` is where the header says so. */
export function checkRowLength(source: string, offset: number, D: number, shape: string): void {
  if (!(D <= MAX_ROW_VALUES)) {
    throw new DataFormatError(
      source,
      offset,
      `a row of ${shape} = ${D} values is over the limit of ${MAX_ROW_VALUES} values ` +
        `per row (128 MiB as float32, the largest WebGPU input binding): corrupt header?`,
    );
  }
}

/**
 * The shared part of every parser: once the header is known, bytes are cut into whole rows; a row split
 * across chunks waits as a list of pieces (at most one row's bytes), so memory stays one chunk + one row.
 * Float values must lie in [0, 1] — the range both likelihoods model — and anything else (NaN included) is
 * refused at its byte offset with the fix.
 */
export abstract class RowCutter {
  protected abstract readonly source: string;
  protected rowBytes = 0;
  protected rowsSeen = 0;
  protected bytesSeen = 0;
  /** Byte offset of the first row in the file (after any header). */
  protected dataOffset = 0;
  private pending: Uint8Array[] = [];
  private pendingLength = 0;

  /** Decodes `rows` whole rows from `bytes` (exactly rows · rowBytes long). */
  protected abstract decode(bytes: Uint8Array, rows: number): RowBlock;

  /** Cuts `chunk` (data bytes only, header already consumed) into whole rows, keeping the remainder. */
  protected cut(chunk: Uint8Array): RowBlock | null {
    const total = this.pendingLength + chunk.length;
    const rows = Math.floor(total / this.rowBytes);
    if (rows === 0) {
      // Copy: the chunk may be a reused stream buffer.
      if (chunk.length > 0) this.pending.push(chunk.slice());
      this.pendingLength = total;
      return null;
    }
    const used = rows * this.rowBytes;
    // One copy so the block owns its bytes: the pending pieces, then the head of the chunk.
    const bytes = new Uint8Array(used);
    let at = 0;
    for (const piece of this.pending) {
      bytes.set(piece, at);
      at += piece.length;
    }
    const fromChunk = used - at;
    bytes.set(chunk.subarray(0, fromChunk), at);
    this.pending = fromChunk < chunk.length ? [chunk.slice(fromChunk)] : [];
    this.pendingLength = chunk.length - fromChunk;
    const firstRow = this.rowsSeen;
    this.rowsSeen += rows;
    const block = this.decode(bytes, rows);
    if (block.values instanceof Float32Array) this.checkUnitRange(block.values, firstRow, block.D);
    return block;
  }

  protected get pendingBytes(): number {
    return this.pendingLength;
  }

  private checkUnitRange(values: Float32Array, firstRow: number, D: number): void {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v >= 0 && v <= 1) continue;
      const row = firstRow + Math.floor(i / D);
      const offset = this.dataOffset + row * this.rowBytes + (i % D) * (this.rowBytes / D);
      throw new DataFormatError(
        this.source,
        offset,
        outOfUnitRange(row, i % D, v, 'before saving, or save them as uint8 (u1 / u8)'),
      );
    }
  }
}

/**
 * The refusal of a float outside [0, 1] at (row, column), with the fix; `asBytes` says how to hand 0–255
 * intensities over instead (files and memory differ).
 */
export function outOfUnitRange(row: number, column: number, v: number, asBytes: string): string {
  const fix = Number.isFinite(v)
    ? v > 1 && v <= 255
      ? ` If these are 0–255 intensities, divide by 255 ${asBytes}, which is scaled by 1/255.`
      : ' Rescale the data into [0, 1].'
    : ' The data itself is not finite: fix or drop that row.';
  return `row ${row}, value ${column} is ${v}: expected values in [0, 1], the range both likelihoods model.${fix}`;
}

/** What a header reader returns: where the data starts, or how many bytes it needs before it can say. */
export type HeaderProgress = { dataOffset: number } | { need: number };

/**
 * A format with a header (IDX, .npy): header bytes are gathered until the subclass can parse them, then the
 * rest is cut into rows; the end checks that exactly the promised rows came. Subclasses say how to read the
 * header and how to phrase what it promised.
 */
export abstract class HeaderedRowParser extends RowCutter implements RowParser {
  protected readonly source: string;
  /** Header bytes so far, as pieces; null once the header is read. */
  private headerPieces: Uint8Array[] | null = [];
  private headerLength = 0;
  private need = 1;

  constructor(source: string) {
    super();
    this.source = source;
  }

  abstract get D(): number;
  abstract get promisedRows(): number | null;

  get expectedBytes(): number | null {
    return this.headerPieces === null ? this.dataOffset + this.promisedRows! * this.rowBytes : null;
  }
  /**
   * Parses the header from the file's first bytes and returns where the data starts, or how many bytes it
   * needs (more than it was given, at most MAX_HEADER_BYTES + the fixed prefix; checked before they are
   * gathered). Throws at once for anything already wrong. Must set up rowBytes when it returns an offset.
   */
  protected abstract readHeader(bytes: Uint8Array): HeaderProgress;
  /** What the header promised, e.g. "60000×28×28 u8 values" or "shape (1000, 784)". */
  protected abstract promise(): string;
  /** Throws the format's error for a file that ends inside its header. */
  protected abstract headerCutShort(bytes: Uint8Array): never;

  push(chunk: Uint8Array): RowBlock | null {
    this.bytesSeen += chunk.length;
    let data = chunk;
    if (this.headerPieces !== null) {
      this.headerPieces.push(chunk.slice());
      this.headerLength += chunk.length;
      if (this.headerLength < this.need) return null;
      // Joined once per step of the header's own structure (magic, length, text), not once per chunk.
      let joined = this.joinHeader();
      for (;;) {
        const progress = this.readHeader(joined);
        if ('dataOffset' in progress) {
          this.headerPieces = null;
          this.dataOffset = progress.dataOffset;
          data = joined.subarray(progress.dataOffset);
          break;
        }
        if (progress.need <= joined.length)
          throw new Error(
            `${this.source}: internal error: the header reader asked for ${progress.need} bytes, but had ${joined.length}`,
          );
        this.need = progress.need;
        if (joined.length < this.need) {
          this.headerPieces = [joined];
          return null;
        }
      }
    }
    const block = this.cut(data);
    const rows = this.promisedRows!;
    if (this.rowsSeen > rows || (this.rowsSeen === rows && this.pendingBytes > 0)) {
      const end = this.dataOffset + rows * this.rowBytes;
      throw new DataFormatError(
        this.source,
        end,
        `the header promises ${this.promise()} ending at byte ${end}, but more bytes follow`,
      );
    }
    return block;
  }

  end(): void {
    if (this.headerPieces !== null) this.headerCutShort(this.joinHeader());
    const rows = this.promisedRows!;
    if (this.rowsSeen < rows || this.pendingBytes > 0) {
      throw new DataFormatError(
        this.source,
        this.bytesSeen,
        `the header promises ${this.promise()} (${this.dataOffset + rows * this.rowBytes} bytes in all) but the file ends here, ` +
          `after ${this.rowsSeen} complete rows of ${rows} (truncated?)`,
      );
    }
  }

  private joinHeader(): Uint8Array {
    const pieces = this.headerPieces!;
    if (pieces.length === 1) return pieces[0];
    const joined = new Uint8Array(this.headerLength);
    let at = 0;
    for (const p of pieces) {
      joined.set(p, at);
      at += p.length;
    }
    this.headerPieces = [joined];
    return joined;
  }
}
