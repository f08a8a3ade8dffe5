/**
 * A row source read over HTTP(S) with fetch — in a browser page or in Node — streamed from the response body
 * (never downloaded whole first), so memory stays bounded by the parser's limits (row_block.ts) whatever the
 * server sends. Each pass (epoch) fetches again. The format comes from the URL's name unless given; raw rows
 * need `dim`. A `.gz` URL is refused up front: the bytes are not gunzipped here (a server that sends
 * `Content-Encoding: gzip` is undone by fetch itself), so serve the file uncompressed. Each pass's read has a
 * deadline and a minimum rate (http_read_limits.ts), and a redirect is followed only to http: or https:.
 */
import { fetchHttp, httpReadLimits, ReadClock, RedirectRefusedError, type HttpReadLimits } from './http_read_limits.ts';
import { rowParserFor, type DataFormat } from './row_format.ts';
import { parsedSource, readableStreamBytes, type RowSource } from './row_source.ts';

export interface UrlSourceOptions {
  format?: DataFormat;
  dim?: number;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** The read's deadline and minimum rate (defaults: DEFAULT_HTTP_READ_LIMITS). */
  limits?: Partial<HttpReadLimits>;
}

export function urlSource(url: string, options: UrlSourceOptions = {}): RowSource {
  const path = new URL(url, 'http://localhost/').pathname;
  if (path.endsWith('.gz')) {
    throw new Error(
      `${url}: a .gz URL is not gunzipped when read over HTTP: serve the file uncompressed (or with Content-Encoding: gzip, which fetch undoes)`,
    );
  }
  const makeParser = rowParserFor(url, options.format, options.dim, path);
  const get = options.fetch ?? globalThis.fetch;
  const limits = httpReadLimits(options.limits, url);
  return parsedSource(
    url,
    async function* () {
      let received = 0;
      const clock = new ReadClock(url, limits, () => `(after ${received} bytes)`);
      const abort = new AbortController();
      clock.attach(abort);
      clock.run();
      try {
        let response: Response;
        try {
          response = await fetchHttp(get, url, { signal: abort.signal });
        } catch (error) {
          clock.check();
          if (error instanceof RedirectRefusedError) throw error;
          throw new Error(`${url}: the request failed (${(error as Error).message})`, { cause: error });
        }
        if (!response.ok || response.body === null)
          throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
        try {
          for await (const chunk of readableStreamBytes(response.body)) {
            received += chunk.length;
            clock.received(chunk.length);
            clock.pause(); // the consumer's time is not the network's
            yield chunk;
            clock.run();
          }
        } catch (error) {
          clock.check();
          throw new Error(`${url}: the download failed after ${received} bytes (${(error as Error).message})`, {
            cause: error,
          });
        }
      } finally {
        clock.stop();
      }
    },
    makeParser,
  );
}
