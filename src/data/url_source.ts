/**
 * A row source read over HTTP(S) with fetch — in a browser page or in Node — streamed from the response body
 * (never downloaded whole first). Each pass (epoch) fetches again. The format comes from the URL's name unless
 * given; raw rows need `dim`.
 */
import { IdxRowParser } from './idx_rows.ts';
import { NpyRowParser } from './npy_rows.ts';
import { RawRowParser } from './raw_rows.ts';
import type { RowParser } from './row_block.ts';
import { parsedSource, readableStreamBytes, type RowSource } from './row_source.ts';

export interface UrlSourceOptions {
  format?: 'auto' | 'idx' | 'npy' | 'raw-u8' | 'raw-f32';
  dim?: number;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

function parserFor(url: string, o: UrlSourceOptions): () => RowParser {
  const name = new URL(url, 'http://localhost/').pathname;
  const format = o.format && o.format !== 'auto' ? o.format : name.endsWith('.npy') ? 'npy' : /(\.idx|-ubyte)$/.test(name) ? 'idx' : null;
  if (format === 'idx') return () => new IdxRowParser(url);
  if (format === 'npy') return () => new NpyRowParser(url);
  if (format === 'raw-u8' || format === 'raw-f32') return () => new RawRowParser(url, format, o.dim ?? NaN);
  throw new Error(`${url}: cannot tell the format from the name (expected .npy, .idx or *-ubyte); pass format: 'idx' | 'npy' | 'raw-u8' | 'raw-f32'`);
}

export function urlSource(url: string, options: UrlSourceOptions = {}): RowSource {
  const makeParser = parserFor(url, options);
  const get = options.fetch ?? globalThis.fetch;
  return parsedSource(url, async function* () {
    const response = await get(url);
    if (!response.ok || response.body === null) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
    yield* readableStreamBytes(response.body);
  }, makeParser);
}
