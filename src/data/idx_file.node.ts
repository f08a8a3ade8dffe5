// Node-only: reads an IDX file (or its gzip-compressed .gz) from disk whole and validates it (src/data/idx.ts).
// For files that fit in memory (MNIST's); the whole file, compressed or not, may be at most MAX_IDX_FILE_BYTES
// — larger data is streamed with fileSource (file_source.node.ts).
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataFormatError } from './data_format_error.ts';
import { parseIdx, type IdxArray } from './idx.ts';

/** The largest IDX file read whole: 1 GiB (after gunzipping). */
export const MAX_IDX_FILE_BYTES = 1 << 30;

export function readIdxFile(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    if (stats.size > MAX_IDX_FILE_BYTES)
      throw Object.assign(new Error('too large'), {
        code: `${stats.size} bytes, over the ${MAX_IDX_FILE_BYTES}-byte limit for reading whole: stream it with fileSource`,
      });
    bytes = readFileSync(path);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new Error(`${path}: cannot read the data file (${e.code ?? e.message})`);
  }
  if (path.endsWith('.gz')) {
    if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
      throw new DataFormatError(
        path,
        0,
        'not gzip: expected gzip-compressed data (the name ends in .gz) starting 0x1f 0x8b (if it is not compressed, drop the .gz from its name)',
      );
    }
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_IDX_FILE_BYTES });
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === 'Z_BUF_ERROR')
        throw new DataFormatError(
          path,
          bytes.length,
          "the gzip stream is truncated: the compressed data ends here, before the stream's end",
        );
      if (e.code === 'ERR_BUFFER_TOO_LARGE')
        throw new DataFormatError(
          path,
          0,
          `the gzip data expands to more than ${MAX_IDX_FILE_BYTES} bytes, the limit for reading whole: stream it with fileSource`,
        );
      throw new DataFormatError(path, 0, `corrupt gzip data (${e.message})`);
    }
  }
  return parseIdx(bytes, path);
}
