/**
 * `redis://host:port/stream?group=G&consumer=NAME&…` — where a Redis stream is and how a consumer reads it —
 * parsed and checked in one place (the source, the producer and the CLI all take these URLs). No Redis client
 * here: this file is safe in a browser bundle.
 */

/** A stream on a server. */
export interface RedisStreamAddress {
  /**
   * The connection URL without the stream: redis://[user@]host:port, rediss:// for TLS. A URL's password is
   * taken out into `password`, so that printing or storing `server` never shows it.
   */
  server: string;
  /** The stream's key. */
  stream: string;
  /** The logical database (SELECT), 0 by default. */
  db: number;
  /** The password (AUTH): the URL's, or given apart from it (REDIS_PASSWORD, --redis-password-file). */
  password?: string;
  /**
   * How long a lost connection is retried before commands fail (ms; the URL's `reconnect-for`, default 60 000):
   * a trainer waits out a server restart, its commands held until the connection is back.
   */
  reconnectForMs?: number;
  /**
   * The server is a node of a Redis Cluster (the URL's `cluster=1`): connect with ioredis's Cluster client, which
   * learns the other nodes from it and follows MOVED/ASK. Every key aevb writes for one stream (or one peer run)
   * carries the stream's name as hash tag (keyPrefixOf), so its multi-key commands stay on one slot.
   */
  cluster?: boolean;
  /** TLS files for a `rediss://` server (the URL's tls-ca, tls-cert, tls-key): paths, read once when connecting. */
  tls?: RedisTlsFiles;
}

/**
 * The files of a TLS connection, as paths (PEM). Without `ca` the system's trusted CAs check the server; `cert`
 * and `key` go together, for a server that asks clients for a certificate (`tls-auth-clients yes`).
 */
export interface RedisTlsFiles {
  /** tls-ca: the CA certificate(s) that signed the server's certificate. */
  ca?: string;
  /** tls-cert: this client's certificate. */
  cert?: string;
  /** tls-key: this client's private key. */
  key?: string;
}

/** The URL parameter of each TLS file, for messages. */
export const TLS_PARAMETERS = { ca: 'tls-ca', cert: 'tls-cert', key: 'tls-key' } as const;

/**
 * The prefix of every key aevb keeps beside a stream (or a peer run) `name`: the name as Redis Cluster hash tag,
 * `{mnist}` for `mnist`, so that `{mnist}:dead`, `{mnist}:failures`, `{mnist}:trained:g` hash to the slot of the
 * stream `mnist` itself. A name with a hash tag already (`{mnist}:rows`) keeps it, as it is; a name with braces
 * but no tag (`a{}b`) hashes whole, so no other key can share its slot, and is used as it is too.
 */
export function keyPrefixOf(name: string): string {
  return name.includes('{') || name.includes('}') ? name : `{${name}}`;
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
  /**
   * An entry whose processing has failed this often (a malformed entry: a missing field, a partial row, a value
   * outside [0, 1] …) goes to the dead-letter stream `<stream>:dead`. Only failures count, never deliveries: a
   * restart, a probe or a claim adds none.
   */
  maxDeliveries: number;
  /**
   * End the pass after this long without a new entry (null: wait forever, the online setting). Make it at least
   * CLAIM_MARGIN × claimAfterMs when the entries of a consumer that died must be picked up before the pass ends
   * (claimBeforeEnd).
   */
  endAfterIdleMs: number | null;
}

/** A consumer looks for entries to claim every claim-after × this: a dead consumer's are claimed that much late. */
export const CLAIM_SCAN_FRACTION = 0.25;
/** end-after-idle ≥ this × claim-after: a pass lasts until the entries of a consumer that died are claimed. */
export const CLAIM_MARGIN = 1 + CLAIM_SCAN_FRACTION;

/**
 * Null when a pass that ends after end-after-idle still claims the entries of a consumer that died just before
 * (end-after-idle ≥ CLAIM_MARGIN × claim-after, or no end), else what to change, naming both options. Not refused:
 * a lone consumer takes its own pending entries back at every start, claims nothing, and is right to end soon.
 */
export function claimBeforeEnd(s: Pick<RedisConsumerSettings, 'endAfterIdleMs' | 'claimAfterMs'>): string | null {
  if (s.endAfterIdleMs === null || s.endAfterIdleMs >= CLAIM_MARGIN * s.claimAfterMs) return null;
  return (
    `end-after-idle (${s.endAfterIdleMs} ms) is shorter than ${CLAIM_MARGIN} × claim-after (${s.claimAfterMs} ms): ` +
    `give end-after-idle=${Math.ceil(CLAIM_MARGIN * s.claimAfterMs)} or more, or claim-after=` +
    `${Math.floor(s.endAfterIdleMs / CLAIM_MARGIN)} or less, in the URL`
  );
}

const DEFAULTS = { blockMs: 2000, count: 16, claimAfterMs: 60_000, maxDeliveries: 5, reconnectForMs: 60_000 };
const PARAMETERS = [
  'group',
  'consumer',
  'block',
  'count',
  'claim-after',
  'keep-alive',
  'max-deliveries',
  'end-after-idle',
  'reconnect-for',
  'db',
  'cluster',
  ...Object.values(TLS_PARAMETERS),
] as const;

/**
 * `text` with the password of every URL in it taken out (`redis://user:pw@host` → `redis://user@host`,
 * `redis://:pw@host` → `redis://host`): for whatever is printed or written — messages, config.json, metrics,
 * checkpoints. A run resumed from such a URL takes its password from REDIS_PASSWORD or --redis-password-file.
 */
export function redactUrl(text: string): string {
  // The userinfo runs to the last '@' before the path: a password holding a raw '@' is taken out whole.
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#]*)@/gi, (_match, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    return user === '' ? scheme : `${scheme}${user}@`;
  });
}

function parseUrl(text: string): URL {
  // Messages name the URL without its password.
  const shown = redactUrl(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${shown}: expected a URL redis://host:port/stream (rediss:// for TLS)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new Error(`${shown}: expected a redis:// or rediss:// URL, got ${url.protocol}`);
  // redis:///STREAM names no server: the CLI puts in REDIS_URL's (withServer); connecting to a default would be a guess.
  if (url.host === '') throw new Error(`${shown}: names no server: expected redis://host:port/STREAM`);
  for (const key of url.searchParams.keys()) {
    if (!(PARAMETERS as readonly string[]).includes(key))
      throw new Error(`${shown}: unknown parameter '${key}' (known: ${PARAMETERS.join(', ')})`);
  }
  return url;
}

function integerParameter(url: URL, text: string, key: string, min: number): number | null {
  const value = url.searchParams.get(key);
  if (value === null) return null;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min)
    throw new Error(`${redactUrl(text)}: ${key} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}

/** The URL's `cluster=1` (or `0`, the default); a cluster has one database only. */
export function clusterParameter(url: URL, text: string): boolean {
  const value = url.searchParams.get('cluster');
  if (value === null || value === '0') return false;
  if (value !== '1') throw new Error(`${redactUrl(text)}: cluster must be 1 (a Redis Cluster) or 0, got '${value}'`);
  if ((url.searchParams.get('db') ?? '0') !== '0')
    throw new Error(`${redactUrl(text)}: a Redis Cluster has database 0 only: drop db= or cluster=1`);
  return true;
}

/**
 * The URL's tls-ca, tls-cert and tls-key (paths), or undefined when it has none. They need a rediss:// URL, and
 * a client certificate needs its key (and a key its certificate).
 */
export function tlsParameters(url: URL, text: string): RedisTlsFiles | undefined {
  const files: RedisTlsFiles = {};
  for (const [field, key] of Object.entries(TLS_PARAMETERS) as [keyof RedisTlsFiles, string][]) {
    const value = url.searchParams.get(key);
    if (value === null) continue;
    if (value === '') throw new Error(`${redactUrl(text)}: ${key} must name a file, got nothing`);
    files[field] = value;
  }
  if (Object.keys(files).length === 0) return undefined;
  if (url.protocol !== 'rediss:') {
    const given = Object.keys(files).map((f) => TLS_PARAMETERS[f as keyof RedisTlsFiles]);
    throw new Error(
      `${redactUrl(text)}: ${given.join(', ')} ${given.length === 1 ? 'needs' : 'need'} a TLS connection: ` +
        `write rediss:// instead of ${url.protocol}//`,
    );
  }
  if ((files.cert === undefined) !== (files.key === undefined))
    throw new Error(
      `${redactUrl(text)}: a client certificate needs both tls-cert (the certificate) and tls-key (its private key); ` +
        `only ${files.cert === undefined ? 'tls-key' : 'tls-cert'} is given`,
    );
  return files;
}

/**
 * The server and stream of a URL (what a producer needs). `password` is used when the URL has none (a password
 * in the URL wins: it is the more specific).
 */
export function parseRedisStreamUrl(text: string, password?: string): RedisStreamAddress {
  const url = parseUrl(text);
  const stream = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (stream === '')
    throw new Error(`${redactUrl(text)}: expected the stream's name as the URL's path: redis://host:port/STREAM`);
  const user = url.username !== '' ? `${url.username}@` : '';
  const given = url.password !== '' ? decodeURIComponent(url.password) : password;
  return {
    server: `${url.protocol}//${user}${url.host}`,
    stream,
    db: integerParameter(url, text, 'db', 0) ?? 0,
    ...(given === undefined || given === '' ? {} : { password: given }),
    reconnectForMs: integerParameter(url, text, 'reconnect-for', 0) ?? DEFAULTS.reconnectForMs,
    ...(clusterParameter(url, text) ? { cluster: true } : {}),
    ...withTls(tlsParameters(url, text)),
  };
}

/** `{ tls }` when there are TLS files, else nothing (an address without TLS files has no `tls` key). */
export function withTls(tls: RedisTlsFiles | undefined): { tls?: RedisTlsFiles } {
  return tls === undefined ? {} : { tls };
}

/** Everything a consumer needs; group and consumer are required, the rest have defaults. */
export function parseRedisConsumerUrl(text: string, password?: string): RedisConsumerSettings {
  const url = parseUrl(text);
  const address = parseRedisStreamUrl(text, password);
  const required = (key: string, what: string) => {
    const value = url.searchParams.get(key);
    if (value === null || value === '') throw new Error(`${redactUrl(text)}: expected ?${key}=NAME (${what})`);
    return value;
  };
  const group = required('group', 'the consumer group');
  const consumer = required('consumer', "this consumer's name, the same after a restart");
  const claimAfterMs = integerParameter(url, text, 'claim-after', 1) ?? DEFAULTS.claimAfterMs;
  const keepAliveMs = integerParameter(url, text, 'keep-alive', 1) ?? Math.max(1, Math.floor(claimAfterMs / 3));
  if (keepAliveMs >= claimAfterMs)
    throw new Error(
      `${redactUrl(text)}: keep-alive (${keepAliveMs} ms) must be shorter than claim-after ` +
        `(${claimAfterMs} ms), or other consumers claim entries this one still holds`,
    );
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

/**
 * `text` with the server of `serverUrl` (REDIS_URL, as Heroku, node-redis and many PaaS set it:
 * redis[s]://[user:password@]host:port[/db]) put in when `text` names none — `redis:///STREAM?…` — and unchanged
 * when it names one. The server's scheme (rediss: TLS), user, password, host and port are taken, and its /db as
 * `db=` unless `text` has one; `rediss:///…` keeps TLS whatever the server's scheme. A URL naming no server without
 * `serverUrl` is an error saying what to give.
 */
export function withServer(text: string, serverUrl: string | undefined): string {
  const hostless = /^(rediss?):\/\/\//i.exec(text);
  if (hostless === null) return text;
  if (serverUrl === undefined)
    throw new Error(
      `${redactUrl(text)}: names no server: set REDIS_URL=redis://host:port[/db] (its user and password, if any, ` +
        `are taken too), or write the host into the URL (redis://host:port/STREAM)`,
    );
  const shown = `REDIS_URL=${redactUrl(serverUrl)}`;
  let server: URL;
  try {
    server = new URL(serverUrl);
  } catch {
    throw new Error(`${shown}: expected redis://host:port[/db], with the user and password, if any, before the host`);
  }
  if ((server.protocol !== 'redis:' && server.protocol !== 'rediss:') || server.host === '')
    throw new Error(`${shown}: expected redis://host:port[/db] (rediss:// for TLS)`);
  if (server.search !== '')
    throw new Error(`${shown}: give parameters in the stream's URL (${redactUrl(text)}), not in REDIS_URL`);
  const db = server.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new Error(`${shown}: the path must be a database number, got '${db}'`);
  const scheme = hostless[1].toLowerCase() === 'rediss' ? 'rediss:' : server.protocol;
  const userinfo = server.username === '' && server.password === '' ? '' : `${server.username}:${server.password}@`;
  let rest = text.slice(hostless[0].length - 1); // from the path's '/' on
  if (db !== '' && !/[?&]db=/.test(rest)) rest += `${rest.includes('?') ? '&' : '?'}db=${db}`;
  return `${scheme}//${userinfo}${server.host}${rest}`;
}

/** The URL of a stream, for messages (no password). */
export function describeStream(a: RedisStreamAddress): string {
  return `${redactUrl(a.server)}/${a.stream}`;
}
