/**
 * A row source read over HTTP(S) with fetch — in a browser page or in Node — streamed from the response body
 * (never downloaded whole first). Each pass (epoch) fetches again. The format comes from the URL's name unless
 * given; raw rows need `dim`.
 */
import { rowParserFor, type DataFormat } from './row_format.ts';
import { parsedSource, readableStreamBytes, type RowSource } from './row_source.ts';

export interface UrlSourceOptions {
  format?: DataFormat;
  dim?: number;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

export function urlSource(url: string, options: UrlSourceOptions = {}): RowSource {
  const makeParser = rowParserFor(url, options.format, options.dim, new URL(url, 'http://localhost/').pathname);
  const get = options.fetch ?? globalThis.fetch;
  return parsedSource(url, async function* () {
    const response = await get(url);
    if (!response.ok || response.body === null) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
    yield* readableStreamBytes(response.body);
  }, makeParser);
}
