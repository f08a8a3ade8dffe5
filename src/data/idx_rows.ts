/**
 * Streaming IDX: rows are emitted as the bytes arrive, the header is validated as soon as it is complete (the
 * magic as soon as its 4 bytes are here), and the end checks that exactly the promised rows came. A
 * one-dimensional file (MNIST's labels) has no rows to learn from and is refused with that hint.
 */
import { DataFormatError } from './data_format_error.ts';
import { checkIdxMagic, decodeIdxValues, parseIdxHeader, type IdxHeader } from './idx.ts';
import { checkRowLength, HeaderedRowParser, type HeaderProgress, type RowBlock } from './row_block.ts';

export class IdxRowParser extends HeaderedRowParser {
  private header: IdxHeader | null = null;
  private readonly oneDimensional: boolean;

  /** `options.oneDimensional`: accept a 1-D file as rows of one value (to read labels on purpose). */
  constructor(source: string, options: { oneDimensional?: boolean } = {}) {
    super(source);
    this.oneDimensional = options.oneDimensional ?? false;
  }

  get D(): number {
    return this.header?.rowLength ?? 0;
  }

  get promisedRows(): number | null {
    return this.header?.rows ?? null;
  }

  protected readHeader(bytes: Uint8Array): HeaderProgress {
    if (bytes.length < 4) return { need: 4 };
    const { ndims } = checkIdxMagic(bytes, this.source); // a wrong file fails at once, not at the end
    if (ndims === 1 && !this.oneDimensional) {
      throw new DataFormatError(
        this.source,
        3,
        'expected rows of values (an IDX file of 2 or more dimensions, like train-images-idx3-ubyte), ' +
          'but this file has 1 dimension: one number per item, like a labels file (train-labels-idx1-ubyte)',
      );
    }
    if (bytes.length < 4 + 4 * ndims) return { need: 4 + 4 * ndims };
    const header = parseIdxHeader(bytes, this.source);
    checkRowLength(this.source, 8, header.rowLength, header.dims.slice(1).join('×'));
    this.header = header;
    this.rowBytes = header.rowLength * header.valueBytes;
    return { dataOffset: header.dataOffset };
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
    return {
      values: decodeIdxValues(bytes, h.type, rows * h.rowLength),
      rows,
      D: h.rowLength,
      scale: h.type === 'u8' ? 1 / 255 : 1,
    };
  }
}
