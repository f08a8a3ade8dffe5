// Node-only: reads an IDX file (or its gzip-compressed .gz) from disk and validates it (src/data/idx.ts).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataFormatError, parseIdx, type IdxArray } from './idx.ts';

export function readIdxFile(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new Error(`${path}: cannot read the data file (${e.code ?? e.message})`);
  }
  if (path.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new DataFormatError(path, 0, `expected gzip-compressed data (the name ends in .gz): ${(error as Error).message}`);
    }
  }
  return parseIdx(bytes, path);
}
