/**
 * Limits on one read over HTTP(S) (a shard, a URL), so that no server can hold a run forever: an overall
 * deadline and a minimum rate, both counted in network time only — the time the reader waits on the server,
 * retries and their backoffs included, while the time the consumer (the trainer) holds a chunk does not count.
 * The defaults never fail a healthy link, however slow its start or long its shard, but do fail a server that
 * dribbles: one byte every 20 s, or half of what is left and then a stall, again and again (each of which,
 * making progress, kept resetting the retry budget: over 400 s for two 12 KB shards).
 *
 * Redirects are followed by hand, so that one to a scheme other than http: or https: (file:, data:, ftp:) is
 * refused as such rather than retried as "fetch failed".
 */

export interface HttpReadLimits {
  /** Network time one read may take in all, retries included (default 1 hour). */
  deadlineMs: number;
  /** The fewest bytes per second a read must average over each window of rateWindowMs (default 1024). */
  minBytesPerSecond: number;
  /** The window over which the rate is averaged (default 60 s): a slow start or a brief stall is no failure. */
  rateWindowMs: number;
}

export const DEFAULT_HTTP_READ_LIMITS: Readonly<HttpReadLimits> = {
  deadlineMs: 3_600_000,
  minBytesPerSecond: 1024,
  rateWindowMs: 60_000,
};

/** The limits with `given` over the defaults, each checked (a positive number, a window of at least 1 ms). */
export function httpReadLimits(given: Partial<HttpReadLimits> = {}, where = 'HTTP read limits'): HttpReadLimits {
  const limits = { ...DEFAULT_HTTP_READ_LIMITS, ...given };
  for (const [key, value] of Object.entries(limits))
    if (!(Number.isFinite(value) && value > 0))
      throw new Error(`${where}: ${key} must be a number > 0, got ${JSON.stringify(value)}`);
  return limits;
}

/** Thrown when a read runs past its deadline or below its minimum rate: final, never retried. */
export class ReadLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReadLimitError';
  }
}

/**
 * The network-time clock of one read. `run()` when the reader waits on the server, `pause()` while the consumer
 * holds a chunk, `received(n)` for each chunk, `stop()` when done. On a breach it aborts the attached request
 * with a ReadLimitError and keeps it in `expired`, which the reader throws instead of retrying.
 */
export class ReadClock {
  expired: ReadLimitError | null = null;
  private used = 0;
  private windowUsed = 0;
  private windowBytes = 0;
  private since: number | null = null;
  private deadline: ReturnType<typeof setTimeout> | undefined;
  private window: ReturnType<typeof setTimeout> | undefined;
  private request: AbortController | null = null;

  constructor(
    private readonly url: string,
    private readonly limits: HttpReadLimits,
    /** Where the read stands, for the message ("at byte 6144 of 12288"). */
    private readonly progress: () => string,
  ) {}

  /** The request that a breach aborts. */
  attach(request: AbortController): void {
    this.request = request;
    if (this.expired !== null) request.abort(this.expired);
  }

  run(): void {
    if (this.since !== null || this.expired !== null) return;
    this.since = performance.now();
    this.deadline = setTimeout(() => this.expire(this.deadlineMessage()), this.limits.deadlineMs - this.used);
    this.window = setTimeout(() => this.endWindow(), this.limits.rateWindowMs - this.windowUsed);
  }

  pause(): void {
    if (this.since === null) return;
    const spent = performance.now() - this.since;
    this.used += spent;
    this.windowUsed += spent;
    this.since = null;
    clearTimeout(this.deadline);
    clearTimeout(this.window);
  }

  received(bytes: number): void {
    this.windowBytes += bytes;
  }

  stop(): void {
    this.pause();
    this.request = null;
  }

  /** Throws the breach, if there was one. */
  check(): void {
    if (this.expired !== null) throw this.expired;
  }

  private endWindow(): void {
    const { minBytesPerSecond, rateWindowMs } = this.limits;
    if (this.windowBytes < (minBytesPerSecond * rateWindowMs) / 1000) {
      this.expire(
        `${this.url}: ${this.windowBytes} bytes arrived in ${rateWindowMs / 1000} s ${this.progress()}, below the ` +
          `minimum rate of ${minBytesPerSecond} bytes/s over ${rateWindowMs / 1000} s: the server is too slow or ` +
          "dribbles; giving up (a slower link may set the URL's #min-rate=BYTES_PER_SECOND)",
      );
      return;
    }
    // A new window from now; the deadline's timer runs on, so the time so far moves into `used`.
    const now = performance.now();
    this.used += now - this.since!;
    this.since = now;
    this.windowBytes = 0;
    this.windowUsed = 0;
    this.window = setTimeout(() => this.endWindow(), rateWindowMs);
  }

  private deadlineMessage(): string {
    return (
      `${this.url}: the read took longer than its deadline of ${this.limits.deadlineMs / 1000} s of network time ` +
      `${this.progress()}; giving up (a longer one: the URL's #deadline=SECONDS)`
    );
  }

  private expire(message: string): void {
    this.expired = new ReadLimitError(message);
    clearTimeout(this.deadline);
    clearTimeout(this.window);
    this.request?.abort(this.expired);
  }
}

/** Redirects followed by fetchHttp before it gives up (browsers and undici stop at 20). */
const MAX_REDIRECTS = 20;

/** Thrown for a redirect that is never followed: final, never retried. */
export class RedirectRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedirectRefusedError';
  }
}

/**
 * `get(url, init)` with redirects followed only to http: and https: URLs. Where the platform hides redirects
 * from the caller (a browser's opaque redirect), the platform's own rules apply: browsers never follow one to
 * another scheme.
 */
export async function fetchHttp(get: typeof fetch, url: string, init: RequestInit = {}): Promise<Response> {
  let at = url;
  for (let hops = 0; ; hops++) {
    const response = await get(at, { ...init, redirect: 'manual' });
    if (response.type === 'opaqueredirect') return get(url, { ...init, redirect: 'follow' });
    const location = response.headers.get('location');
    if (![301, 302, 303, 307, 308].includes(response.status) || location === null) return response;
    await response.body?.cancel();
    let next: URL;
    try {
      next = new URL(location, at);
    } catch {
      throw new RedirectRefusedError(`${url}: the server redirects to '${location}', which is not a URL`);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:')
      throw new RedirectRefusedError(
        `${url}: the server redirects${at === url ? '' : ` (from ${at})`} to ${next.protocol} URL '${location}'; ` +
          'only http: and https: redirects are followed — a server may not make aevb read a local file or another scheme',
      );
    if (hops + 1 > MAX_REDIRECTS)
      throw new RedirectRefusedError(`${url}: more than ${MAX_REDIRECTS} redirects (last to ${next.href})`);
    at = next.href;
  }
}
