/** A dataset held in memory: `rows` rows of D values each, row-major, scaled to [0, 1] by `scale`. */
import { DataFormatError, type IdxArray } from './idx.ts';

export interface Dataset {
  /** Where it came from (a file path or a name), for error messages. */
  source: string;
  rows: number;
  D: number;
  /** rows × D raw values. */
  values: Uint8Array | Float32Array;
  /** Multiplier taking a raw value into [0, 1]: 1/255 for bytes, 1 for floats. */
  scale: number;
}

/** Treats an IDX array of shape (N, d1, d2, …) as N rows of d1·d2·… values. */
export function datasetFromIdx(idx: IdxArray, source: string): Dataset {
  const { header, values } = idx;
  if (header.dims.length < 2) {
    throw new DataFormatError(source, 3, `expected at least 2 dimensions (rows × values), found ${header.dims.length} (${header.dims.join('×')}): is this a label file?`);
  }
  return { source, rows: header.rows, D: header.rowLength, values, scale: header.type === 'u8' ? 1 / 255 : 1 };
}
