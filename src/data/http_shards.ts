/**
 * Rows from shards served over HTTP(S) — `https://host/path/shard-{000..099}.npy` — read with fetch (Node or a
 * browser page), streamed, never downloaded whole. Each epoch reads the shards in its own seeded order (the
 * shuffle window then mixes rows across neighbouring shards); `shardOf` gives trainer i of N every N-th shard.
 *
 * A dropped connection — or one silent for stallTimeoutMs — resumes where it stopped with a `Range` request,
 * after a backoff (bounded retries in a row without progress). The first response's ETag is remembered for the
 * source's lifetime and sent back with `If-Match`, and every later response must carry it: a shard that
 * changed on the server — mid-read or between epochs — is an error, never two versions silently mixed. A
 * server that sends no ETag is held to its first Last-Modified instead; one that sends neither cannot be
 * checked, so a read of it is never resumed unless the user allows it (allowUnvalidated, or the pattern's
 * fragment #allow-unvalidated): the shard is refused instead.
 *
 * A shard is read to its whole length, never fewer rows: the length is the response's (Content-Length, or the
 * total of a 206's Content-Range), else the format's header (.npy and IDX say how many rows follow), and a
 * response that ends before it is a cut connection, resumed. A close-delimited response of raw rows (no length
 * anywhere) could end on a row boundary and look whole: its end is confirmed with one more Range request from
 * there, which the server answers 416 (nothing follows) — or with the rest of the shard.
 *
 * Each shard's read has a deadline and a minimum rate (http_read_limits.ts), settable as options or in the
 * pattern's fragment (#deadline=SECONDS&min-rate=BYTES_PER_SECOND&rate-window=SECONDS); a redirect is followed
 * only to http: or https:. The names of a brace pattern are computed as they are read, never held as a list.
 */
import { philoxUniforms } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import { braceRangeNames, type NameList } from './brace_range.ts';
import {
  fetchHttp,
  httpReadLimits,
  ReadClock,
  ReadLimitError,
  RedirectRefusedError,
  type HttpReadLimits,
} from './http_read_limits.ts';
import type { RowBlock } from './row_block.ts';
import { rowParserFor, type DataFormat } from './row_format.ts';
import { readableStreamBytes, type RowSource } from './row_source.ts';

export interface HttpShardsOptions {
  /** Seed of the shard order (a run passes its own seed). */
  seed: number;
  /** Read only shard i, i + count, i + 2·count … of the list: trainer `index` of `count`. */
  shardOf?: { index: number; count: number };
  format?: DataFormat;
  /** Values per row, for raw rows. */
  dim?: number;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** Failed attempts in a row, without a byte of progress, before a shard is given up (default 5). */
  retries?: number;
  /** The first backoff; it doubles after each failure in a row, up to 8 s (default 250 ms). */
  backoffMs?: number;
  /** A connection that sends nothing for this long is dropped and resumed (default 30 s). */
  stallTimeoutMs?: number;
  /** The epoch of the first pass when open() is given none (a resumed run passes its epoch). */
  firstEpoch?: number;
  /**
   * Resume reads of shards served with neither ETag nor Last-Modified, though a shard rewritten meanwhile would
   * be mixed in unseen (default false: such a shard is refused when its connection drops). The pattern's
   * fragment #allow-unvalidated says the same (the CLI's --data).
   */
  allowUnvalidated?: boolean;
  /** Each shard's deadline and minimum rate (defaults: DEFAULT_HTTP_READ_LIMITS); the pattern's fragment may set them too. */
  limits?: Partial<HttpReadLimits>;
}

/** The options a pattern's fragment may give, '&'-separated (fragments are never sent to a server). */
const FRAGMENT_OPTIONS = ['allow-unvalidated', 'deadline=SECONDS', 'min-rate=BYTES_PER_SECOND', 'rate-window=SECONDS'];

/** The pattern without its fragment, and the options its fragment gives. */
function fragmentOptions(pattern: string): {
  pattern: string;
  allowUnvalidated: boolean;
  limits: Partial<HttpReadLimits>;
} {
  const hash = pattern.indexOf('#');
  if (hash < 0) return { pattern, allowUnvalidated: false, limits: {} };
  let allowUnvalidated = false;
  const limits: Partial<HttpReadLimits> = {};
  for (const option of pattern.slice(hash + 1).split('&')) {
    const [key, value] = option.split('=', 2) as [string, string | undefined];
    const number = value !== undefined && /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
    if (option === 'allow-unvalidated') allowUnvalidated = true;
    else if (key === 'deadline' && number > 0) limits.deadlineMs = number * 1000;
    else if (key === 'min-rate' && number > 0) limits.minBytesPerSecond = number;
    else if (key === 'rate-window' && number > 0) limits.rateWindowMs = number * 1000;
    else
      throw new Error(
        `${pattern}: the fragment's '${option}' is not an option of aevb's (known, '&'-separated: ${FRAGMENT_OPTIONS.map((o) => `#${o}`).join(', ')}, each number > 0)`,
      );
  }
  return { pattern: pattern.slice(0, hash), allowUnvalidated, limits };
}

/** A shard's version as the server first described it. */
interface Validator {
  etag: string | null;
  lastModified: string | null;
}

const MAX_BACKOFF_MS = 8000;

/** A row source over HTTP(S) shards whose open() may be told the epoch, which keys the shard order. */
export interface HttpShardsSource extends RowSource {
  /** The shards this source reads (after shardOf), in list order. */
  readonly shards: readonly string[];
  open(epoch?: number): AsyncIterable<RowBlock>;
}

/** The shards of `pattern` (brace ranges expanded) or of a list of URLs, as one row source; see the file's header. */
export function httpShardsSource(pattern: string | string[], options: HttpShardsOptions): HttpShardsSource {
  const fragment =
    typeof pattern === 'string' ? fragmentOptions(pattern) : { pattern, allowUnvalidated: false, limits: {} };
  const all = typeof fragment.pattern === 'string' ? braceRangeNames(fragment.pattern) : listOf(fragment.pattern);
  const name = typeof pattern === 'string' ? pattern : `${all.length} shards (${all.at(0)} …)`;
  const allowUnvalidated = options.allowUnvalidated === true || fragment.allowUnvalidated;
  const limits = httpReadLimits({ ...options.limits, ...fragment.limits }, name);
  const shards = pickShards(all, options.shardOf, name);
  // A pattern's names differ only in digits, so its first and last stand for all; a list is checked whole.
  const checked = typeof fragment.pattern === 'string' ? [0, shards.length - 1] : shards.length;
  for (const i of typeof checked === 'number' ? Array.from({ length: checked }, (_, k) => k) : checked) {
    const url = shards.at(i);
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      throw new Error(`${name}: '${url}' is not an absolute URL`);
    }
    if (path.endsWith('.gz'))
      throw new Error(
        `${url} (shard ${i + 1} of ${shards.length} of ${name}): a .gz shard is not gunzipped when read over HTTP; ` +
          'expected .npy, IDX or raw rows served uncompressed (or sent with Content-Encoding: gzip, which fetch ' +
          'undoes, under a name without .gz). Local .gz files and directories of them are read as they are',
      );
    rowParserFor(url, options.format, options.dim, path); // the format's errors, before any request
  }
  const parserOf = (url: string) => rowParserFor(url, options.format, options.dim, new URL(url).pathname)();
  const validators = new Map<string, Validator>();
  const retry: RetryPolicy = {
    retries: options.retries ?? 5,
    backoffMs: options.backoffMs ?? 250,
    stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
  };
  let nextEpoch = options.firstEpoch ?? 0;
  return {
    name,
    get shards() {
      return Array.from({ length: shards.length }, (_, i) => shards.at(i));
    },
    async *open(epoch?: number) {
      const e = epoch ?? nextEpoch++;
      let D: number | null = null;
      for (const i of shuffledOrder(shards.length, options.seed, e)) {
        const url = shards.at(i);
        const parser = parserOf(url);
        const expectedBytes = () => parser.expectedBytes ?? null;
        for await (const chunk of resumableBytes(url, options.fetch ?? globalThis.fetch, validators, retry, {
          expectedBytes,
          allowUnvalidated,
          limits,
        })) {
          const block = parser.push(chunk);
          if (block === null) continue;
          D ??= block.D;
          if (block.D !== D)
            throw new Error(`${url}: rows have ${block.D} values, but the shards read before it have ${D}`);
          yield block;
        }
        parser.end();
      }
    },
  };
}

/** `i/N` (the --shard-of flag) as { index: i, count: N }. */
export function parseShardOf(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (m === null || Number(m[1]) >= Number(m[2]))
    throw new Error(
      `--shard-of must be i/N with 0 ≤ i < N (this trainer's index and the number of trainers), got '${text}'`,
    );
  return { index: Number(m[1]), count: Number(m[2]) };
}

/** A list of names as a NameList. */
function listOf(names: readonly string[]): NameList {
  return { length: names.length, at: (i) => names[i] };
}

/** Shards index, index + count, … of the list. */
export function shardsOf(all: string[], shardOf: { index: number; count: number } | undefined, name: string): string[] {
  const picked = pickShards(listOf(all), shardOf, name);
  return Array.from({ length: picked.length }, (_, i) => picked.at(i));
}

/** Shards index, index + count, … of `all`, computed as asked for. */
function pickShards(all: NameList, shardOf: { index: number; count: number } | undefined, name: string): NameList {
  if (all.length === 0) throw new Error(`${name}: no shards`);
  if (shardOf === undefined) return all;
  const { index, count } = shardOf;
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(`${name}: shard-of must be i/N with 0 ≤ i < N, got ${index}/${count}`);
  }
  if (count > all.length)
    throw new Error(
      `${name}: shard-of ${index}/${count} asks for more trainers than the ${all.length} shards; trainer ${index} would get none`,
    );
  return { length: Math.ceil((all.length - index) / count), at: (i) => all.at(index + i * count) };
}

/** The shards in epoch `epoch`'s order: a Fisher–Yates shuffle drawn from Philox(seed, epoch, shard-order stream). */
export function shardOrder(shards: readonly string[], seed: number, epoch: number): string[] {
  return Array.from(shuffledOrder(shards.length, seed, epoch), (i) => shards[i]);
}

/** The order of shards 0 … n − 1 in epoch `epoch` (shardOrder's permutation, as indices). */
function shuffledOrder(n: number, seed: number, epoch: number): Uint32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const u = philoxUniforms(seed, epoch, RANDOM_STREAMS.shardOrder, n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[i] * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

interface RetryPolicy {
  retries: number;
  backoffMs: number;
  stallTimeoutMs: number;
}

/** A status worth retrying: the server or a proxy is busy or briefly down. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * The bytes of `url`, resumed with Range requests after a dropped connection, each response checked against
 * the shard's first version (`validators`, shared by every pass); read to the shard's whole length (see the
 * file's header): `expectedBytes` is the length the format's header gives, once it is read.
 */
async function* resumableBytes(
  url: string,
  get: typeof fetch,
  validators: Map<string, Validator>,
  retry: RetryPolicy,
  o: { expectedBytes: () => number | null; allowUnvalidated: boolean; limits: HttpReadLimits },
): AsyncGenerator<Uint8Array> {
  let offset = 0;
  let total: number | null = null;
  let failures = 0;
  // Progress resets the retry budget, so the clock is what bounds a server that sends a little and stalls.
  const clock = new ReadClock(url, o.limits, () => `(at byte ${offset}${total === null ? '' : ` of ${total}`})`);
  async function* readWithRetries(): AsyncGenerator<Uint8Array> {
    /** A request that only asks whether anything follows `offset` (a response with no length ended there). */
    let probing = false;
    const fail = async (reason: string) => {
      if (++failures > retry.retries) {
        throw new Error(
          `${url}: gave up after ${retry.retries} retries in a row at byte ${offset}${total === null ? '' : ` of ${total}`} (last: ${reason})`,
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(retry.backoffMs * 2 ** (failures - 1), MAX_BACKOFF_MS)));
      clock.check();
    };
    for (;;) {
      const known = validators.get(url);
      const unvalidated =
        known !== undefined && known.etag === null && known.lastModified === null && !o.allowUnvalidated;
      if (offset > 0 && unvalidated && !probing) throw unvalidatedError(url, offset, total);
      // Identity encoding: Range offsets count the bytes as stored, which a compressed transfer would not keep.
      const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
      if (offset > 0) headers.Range = `bytes=${offset}-`;
      // If-Match compares strongly: a weak ETag (W/"…") would always fail it, so that one is only compared below.
      if (known?.etag && !known.etag.startsWith('W/')) headers['If-Match'] = known.etag;
      // A stalled connection (no close, no bytes) is aborted like a dropped one; the timer restarts with each chunk.
      const abort = new AbortController();
      clock.attach(abort);
      let stall: ReturnType<typeof setTimeout> | undefined;
      const armStallTimer = () => {
        clearTimeout(stall);
        stall = setTimeout(
          () => abort.abort(new Error(`no data for ${retry.stallTimeoutMs} ms`)),
          retry.stallTimeoutMs,
        );
      };
      armStallTimer();
      try {
        let response: Response;
        try {
          response = await fetchHttp(get, url, { headers, signal: abort.signal });
        } catch (error) {
          clock.check();
          if (error instanceof RedirectRefusedError) throw error;
          await fail(`cannot connect: ${(error as Error).message}`);
          continue;
        }
        if (response.status === 412) {
          await response.body?.cancel();
          throw changedError(url, known!, `the server answers 412 Precondition Failed to If-Match: ${known!.etag}`);
        }
        if (probing) {
          // 416: nothing follows `offset` — the shard ended where the response did.
          if (response.status === 416) {
            await response.body?.cancel();
            const length = /^bytes \*\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
            if (length !== null && Number(length[1]) !== offset) {
              throw new Error(
                `${url}: the response ended at byte ${offset}, but the server now gives the shard ${length[1]} ` +
                  `bytes (416 Range Not Satisfiable, Content-Range '${response.headers.get('content-range')}')`,
              );
            }
            return;
          }
          if (response.ok && unvalidated) {
            await response.body?.cancel();
            throw unvalidatedError(url, offset, total);
          }
          if (response.status === 200 && response.headers.get('content-length') === null) {
            await response.body?.cancel();
            throw new Error(
              `${url}: the response ended at byte ${offset} with no length to check it against (no Content-Length, a close-delimited ` +
                `response), and the server ignores Range requests, so the end of the shard cannot be told from a cut connection: ` +
                'serve it with Content-Length, or use a format whose header gives the length (.npy, IDX)',
            );
          }
          probing = false;
        } else if (response.status === 416 && offset > 0) {
          await response.body?.cancel();
          throw new Error(
            `${url}: the shard is short: it ends at byte ${offset}, but ${total === null ? 'its length' : `${total} bytes`} ` +
              `${total === o.expectedBytes() ? 'its header promises' : 'were announced'} (416 Range Not ` +
              `Satisfiable to a Range request from there); refusing a shard with fewer rows than it says`,
          );
        }
        if (!response.ok || response.body === null) {
          await response.body?.cancel();
          if (!retryable(response.status)) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
          await fail(`HTTP ${response.status} ${response.statusText}`);
          continue;
        }
        const seen: Validator = {
          etag: response.headers.get('etag'),
          lastModified: response.headers.get('last-modified'),
        };
        if (known === undefined) validators.set(url, seen);
        else if (seen.etag !== known.etag || (known.etag === null && seen.lastModified !== known.lastModified)) {
          await response.body.cancel();
          throw changedError(
            url,
            known,
            `it now has ${seen.etag === null ? `Last-Modified ${seen.lastModified}` : `ETag ${seen.etag}`}`,
          );
        }
        // 206: the rest from `offset`; 200 (a server that ignores Range): the whole file again, its start skipped.
        let skip = 0;
        if (response.status === 206) {
          const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
          if (range === null || Number(range[1]) !== offset) {
            await response.body.cancel();
            throw new Error(
              `${url}: asked for bytes ${offset}- but the server sent Content-Range '${response.headers.get('content-range')}'`,
            );
          }
          if (range[3] !== '*') total = Number(range[3]);
        } else {
          skip = offset;
          const length = response.headers.get('content-length');
          if (length !== null) total = Number(length);
        }
        const encoding = response.headers.get('content-encoding');
        const resumable = encoding === null || encoding === 'identity';
        try {
          for await (let chunk of readableStreamBytes(response.body)) {
            armStallTimer();
            if (skip > 0) {
              const dropped = Math.min(skip, chunk.length);
              skip -= dropped;
              chunk = chunk.subarray(dropped);
              if (chunk.length === 0) continue;
            }
            offset += chunk.length;
            failures = 0;
            clock.received(chunk.length);
            // The consumer may pause here (back-pressure): that is not a stall, nor network time.
            clearTimeout(stall);
            clock.pause();
            yield chunk;
            clock.run();
            armStallTimer();
          }
        } catch (error) {
          clock.check();
          const reason = `the connection dropped: ${(error as Error).message}`;
          if (!resumable)
            throw new Error(
              `${url}: ${reason}; a response sent with Content-Encoding ${encoding} cannot be resumed at a byte offset`,
            );
          await fail(reason);
          continue;
        }
        if (!resumable) return;
        if (total !== null) {
          if (offset >= total) return;
          await fail(`the response ended at byte ${offset} of ${total}`);
          continue;
        }
        // No length from the server: the format's header gives one (.npy, IDX) …
        const expected = o.expectedBytes();
        if (expected !== null) {
          if (offset >= expected) return; // more bytes than the header promises: the parser says so
          total = expected;
          await fail(`the response ended at byte ${offset} of the ${expected} the shard's header gives`);
          continue;
        }
        // … or, for raw rows, one more request asks whether anything follows.
        probing = true;
      } finally {
        clearTimeout(stall);
      }
    }
  }
  try {
    clock.run();
    yield* readWithRetries();
  } finally {
    clock.stop();
  }
}

function unvalidatedError(url: string, offset: number, total: number | null): Error {
  return new Error(
    `${url}: the read stopped at byte ${offset}${total === null ? '' : ` of ${total}`} and would ` +
      `resume with a Range request, but the server gave this shard neither an ETag nor a Last-Modified, ` +
      'so a shard rewritten meanwhile could not be told from the one being read, and two ' +
      'versions would be mixed; refusing it. Serve the shards with an ETag or Last-Modified ' +
      "(any static file server or object store does), or accept the risk: the library's allowUnvalidated, or '#allow-unvalidated' at the end of the URL",
  );
}

function changedError(url: string, first: Validator, now: string): Error {
  const was = first.etag === null ? `Last-Modified ${first.lastModified}` : `ETag ${first.etag}`;
  return new Error(
    `${url}: the shard changed on the server while it was being read (it was first served with ${was}; ` +
      `${now}); refusing to mix two versions of the data — restart the run to read the new version`,
  );
}
