/**
 * Which parser reads a data file: the format named, or the one its name says (.npy, .idx / *-ubyte, each
 * optionally .gz). Shared by files on disk (file_source.node.ts), URLs (url_source.ts) and the page's file
 * picker, so every one of them recognises the same names and reports the same errors.
 */
import { IdxRowParser } from './idx_rows.ts';
import { NpyRowParser } from './npy_rows.ts';
import { RawRowParser, type RawFormat } from './raw_rows.ts';
import type { RowParser } from './row_block.ts';

export const DATA_FORMATS = ['auto', 'idx', 'npy', 'raw-u8', 'raw-f32'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

/** The format a file name says, or null. */
export function formatOfName(path: string): Exclude<DataFormat, 'auto' | RawFormat> | null {
  const name = path.replace(/\.gz$/, '');
  if (name.endsWith('.npy')) return 'npy';
  if (name.endsWith('.idx') || /-ubyte$/.test(name)) return 'idx';
  return null;
}

/**
 * A factory of fresh parsers (one per pass) for the data at `source`, whose file name is `name` (a URL's path,
 * say); errors name `source`. Throws at once when the format cannot be told or raw rows lack their D.
 */
export function rowParserFor(
  source: string,
  format: DataFormat = 'auto',
  dim?: number,
  name: string = source,
): () => RowParser {
  const resolved = format === 'auto' ? formatOfName(name) : format;
  switch (resolved) {
    case 'idx':
      return () => new IdxRowParser(source);
    case 'npy':
      return () => new NpyRowParser(source);
    case 'raw-u8':
    case 'raw-f32': {
      if (dim === undefined)
        throw new Error(
          `${source}: raw rows have no header: give the values per row (the CLI's --dim D, the library's dim)`,
        );
      return () => new RawRowParser(source, resolved, dim);
    }
    case null:
      throw new Error(
        `${source}: cannot tell the format from the name (expected .npy, .idx or *-ubyte, optionally ` +
          `.gz); give its format: idx, npy, raw-u8 or raw-f32 (the CLI's --format, the library's format)`,
      );
  }
}
