/**
 * `redis://host:port/stream?group=G&consumer=NAME&…` — where a Redis stream is and how a consumer reads it —
 * parsed and checked in one place (the source, the producer and the CLI all take these URLs). No Redis client
 * here: this file is safe in a browser bundle.
 */

/** A stream on a server. */
export interface RedisStreamAddress {
  /** The connection URL without the stream: redis://[user:password@]host:port[?db=…], rediss:// for TLS. */
  server: string;
  /** The stream's key. */
  stream: string;
  /** The logical database (SELECT), 0 by default. */
  db: number;
}

/** How one consumer of a consumer group reads a stream. Every duration is in milliseconds. */
export interface RedisConsumerSettings extends RedisStreamAddress {
  /** The consumer group (created, with the stream, if missing; a new group reads the stream from its start). */
  group: string;
  /** This consumer's name: keep it across restarts so a restarted trainer takes back its own pending entries. */
  consumer: string;
  /** How long one XREADGROUP waits for new entries. */
  blockMs: number;
  /** Entries per read. */
  count: number;
  /** Entries left unacknowledged this long by any consumer (a dead one) are claimed (XAUTOCLAIM). */
  claimAfterMs: number;
  /** How often this consumer resets the idle time of its own unacknowledged entries (XCLAIM), so nobody claims them. */
  keepAliveMs: number;
  /** An entry delivered more often than this goes to the dead-letter stream `<stream>:dead`. */
  maxDeliveries: number;
  /**
   * End the pass after this long without a new entry (null: wait forever, the online setting). Make it longer
   * than claimAfterMs when the entries of a consumer that died must be picked up before the pass ends.
   */
  endAfterIdleMs: number | null;
}

const DEFAULTS = { blockMs: 2000, count: 16, claimAfterMs: 60_000, maxDeliveries: 5 };
const PARAMETERS = ['group', 'consumer', 'block', 'count', 'claim-after', 'keep-alive', 'max-deliveries', 'end-after-idle', 'db'] as const;

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${text}: expected a URL redis://host:port/stream (rediss:// for TLS)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`${text}: expected a redis:// or rediss:// URL, got ${url.protocol}`);
  for (const key of url.searchParams.keys()) {
    if (!(PARAMETERS as readonly string[]).includes(key)) throw new Error(`${text}: unknown parameter '${key}' (known: ${PARAMETERS.join(', ')})`);
  }
  return url;
}

function integerParameter(url: URL, text: string, key: string, min: number): number | null {
  const value = url.searchParams.get(key);
  if (value === null) return null;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new Error(`${text}: ${key} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}

/** The server and stream of a URL (what a producer needs). */
export function parseRedisStreamUrl(text: string): RedisStreamAddress {
  const url = parseUrl(text);
  const stream = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (stream === '') throw new Error(`${text}: expected the stream's name as the URL's path: redis://host:port/STREAM`);
  const auth = url.username !== '' || url.password !== '' ? `${url.username}:${url.password}@` : '';
  return { server: `${url.protocol}//${auth}${url.host}`, stream, db: integerParameter(url, text, 'db', 0) ?? 0 };
}

/** Everything a consumer needs; group and consumer are required, the rest have defaults. */
export function parseRedisConsumerUrl(text: string): RedisConsumerSettings {
  const url = parseUrl(text);
  const address = parseRedisStreamUrl(text);
  const required = (key: string, what: string) => {
    const value = url.searchParams.get(key);
    if (value === null || value === '') throw new Error(`${text}: expected ?${key}=NAME (${what})`);
    return value;
  };
  const group = required('group', 'the consumer group');
  const consumer = required('consumer', 'this consumer\'s name, the same after a restart');
  const claimAfterMs = integerParameter(url, text, 'claim-after', 1) ?? DEFAULTS.claimAfterMs;
  const keepAliveMs = integerParameter(url, text, 'keep-alive', 1) ?? Math.max(1, Math.floor(claimAfterMs / 3));
  if (keepAliveMs >= claimAfterMs) throw new Error(`${text}: keep-alive (${keepAliveMs} ms) must be shorter than claim-after (${claimAfterMs} ms), or other consumers claim entries this one still holds`);
  return {
    ...address,
    group,
    consumer,
    blockMs: integerParameter(url, text, 'block', 1) ?? DEFAULTS.blockMs,
    count: integerParameter(url, text, 'count', 1) ?? DEFAULTS.count,
    claimAfterMs,
    keepAliveMs,
    maxDeliveries: integerParameter(url, text, 'max-deliveries', 1) ?? DEFAULTS.maxDeliveries,
    endAfterIdleMs: integerParameter(url, text, 'end-after-idle', 1),
  };
}

/** The URL of a stream, for messages (no password). */
export function describeStream(a: RedisStreamAddress): string {
  return `${a.server.replace(/\/\/[^@/]*@/, '//')}/${a.stream}`;
}
