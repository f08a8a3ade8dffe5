// Node-only: connections to Redis (ioredis) for the stream source, the producer and the peers: a lost connection
// is retried for a budget (the address's reconnectForMs, 60 s by default), commands held meanwhile and sent once it
// is back, saying so on stderr; past the budget, commands fail with an error naming the URL (never its password).
// A `cluster=1` address connects with ioredis's Cluster client instead (the URL's node is the seed; the others are
// learnt from it, MOVED/ASK followed); the keys of one stream or run share its hash tag (keyPrefixOf), so a
// transaction or pipeline of one stream runs on one node. A `rediss://` address connects with TLS, with the files
// its URL names (tls.node.ts); a handshake refused for a certificate is not retried: it fails at once.
// One typed way to send raw commands (ioredis's per-command typings are overloads too many to be useful for streams).
// ioredis is an optional peer dependency of aevb (a browser-only install never loads it): loaded by the first
// connection, which fails naming the command that installs it.
import type { Cluster, Redis } from 'ioredis';
import { optionalPeer } from '../optional_peer.node.ts';
import { tlsOptionsOf, tlsRefusal } from './tls.node.ts';
import { describeStream, type RedisStreamAddress } from './url.ts';

/** The retry budget when the address does not say (ms): a server restart, a failover, a short network outage. */
export const DEFAULT_RECONNECT_FOR_MS = 60_000;
/** The longest pause between two reconnection attempts (ms): a server back is found within about this. */
const MAX_RETRY_PAUSE_MS = 500;

/**
 * An argument of a Redis command: binary values as bytes (sent as Buffers without a copy). Not Node's Buffer type:
 * the package's declarations name no Node type, so a TypeScript user needs no @types/node.
 */
export type RedisArgument = string | number | Uint8Array;

/** The arguments as ioredis sends binary values: Buffers (a plain Uint8Array would be sent as text). */
function onTheWire(args: readonly RedisArgument[]): (string | number | Buffer)[] {
  return args.map((a) => (typeof a === 'string' || typeof a === 'number' || Buffer.isBuffer(a) ? a : asBuffer(a)));
}

/**
 * Connections of one process that are waiting for their server, by URL: the first to lose it says so on stderr and
 * the last to get it back says it is back, so a trainer's three connections make two lines per outage, not six.
 */
const outages = new Map<string, { connections: number; since: number }>();

/** A connection that names its stream in every error. */
export class RedisConnection {
  private readonly redis: Redis | Cluster;
  private readonly where: string;
  private readonly reconnectForMs: number;
  private lastError: Error | null = null;
  /** When the connection was lost (performance.now()), or null while it is up. */
  private lostAt: number | null = null;
  private everReady = false;
  private closing = false;
  /** Why a TLS handshake cannot succeed (a certificate refused): set when the connection gave up for it. */
  private refusal: string | null = null;
  /** Times the connection came back after being lost: a reader checks it to re-read what a lost reply held. */
  reconnects = 0;

  constructor(address: RedisStreamAddress, purpose: string) {
    const ioredis = optionalPeer<typeof import('ioredis')>('ioredis', 'Redis (a redis:// or rediss:// address)');
    this.where = describeStream(address);
    this.reconnectForMs = address.reconnectForMs ?? DEFAULT_RECONNECT_FOR_MS;
    const retry = (times: number): number | null => {
      if (this.closing) return null;
      // A refused certificate is refused again on every retry: give up now instead of after the whole budget.
      this.refusal = tlsRefusal(this.lastError);
      if (this.refusal !== null) return null;
      this.lostAt ??= performance.now();
      const waited = performance.now() - this.lostAt;
      if (waited >= this.reconnectForMs) return null;
      return Math.min(50 * times, MAX_RETRY_PAUSE_MS, Math.max(1, this.reconnectForMs - waited));
    };
    const options = {
      ...(address.password === undefined ? {} : { password: address.password }),
      // RESP2: the reply shapes every Redis server gives (RESP3 turns stream replies into maps).
      protocol: 2 as const,
      // CLIENT SETNAME refuses spaces and odd characters; the name only helps CLIENT LIST readers.
      connectionName: `aevb-${purpose}`.replace(/[^\w.-]/g, '_'),
      // Commands wait for the connection (sent again if it was lost with their reply) until the budget is spent:
      // then retryStrategy gives up and every waiting command fails.
      maxRetriesPerRequest: null,
      // disconnect() ends the socket and, should the server not close its side (it does not while it holds a
      // blocking read), destroys it after this long: ioredis's 2 s would keep a stopping process alive for them.
      disconnectTimeout: 100,
      // Read here, at set-up: the address's files are read at its first connection and shared by the others.
      ...(new URL(address.server).protocol === 'rediss:' ? { tls: tlsOptionsOf(address.tls) } : {}),
    };
    if (address.cluster === true) {
      const seed = new URL(address.server);
      this.redis = new ioredis.Cluster([{ host: seed.hostname, port: seed.port === '' ? 6379 : Number(seed.port) }], {
        redisOptions: {
          ...options,
          ...(seed.username === '' ? {} : { username: decodeURIComponent(seed.username) }),
        },
        clusterRetryStrategy: retry,
      });
    } else {
      this.redis = new ioredis.Redis(address.server, { db: address.db, ...options, retryStrategy: retry });
    }
    // Without a listener ioredis prints every connection error; keep the last one for the message instead.
    this.redis.on('error', (error: Error) => {
      this.lastError = error;
    });
    this.redis.on('reconnecting', () => this.lost());
    this.redis.on('ready', () => this.back());
    this.redis.on('end', () => this.settled());
  }

  /** Whether the connection is up now (commands sent now are not held). */
  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  private lost(): void {
    if (this.closing || this.lostAt === null || this.outageCounted) return;
    this.outageCounted = true;
    const outage = outages.get(this.where) ?? { connections: 0, since: performance.now() };
    if (outage.connections++ === 0) {
      outages.set(this.where, outage);
      const why = this.lastError === null ? '' : ` (${this.lastError.message.trim()})`;
      console.error(
        `aevb: ${this.where}: ${this.everReady ? 'connection lost' : 'cannot connect'}${why}; retrying for up to ${(this.reconnectForMs / 1000).toFixed(0)} s`,
      );
    }
  }

  private outageCounted = false;

  private back(): void {
    if (this.everReady && this.lostAt !== null) this.reconnects++;
    this.everReady = true;
    this.lostAt = null;
    if (!this.outageCounted) return;
    this.outageCounted = false;
    const outage = outages.get(this.where);
    if (outage !== undefined && --outage.connections === 0) {
      outages.delete(this.where);
      console.error(
        `aevb: ${this.where}: connected again after ${((performance.now() - outage.since) / 1000).toFixed(1)} s`,
      );
    }
  }

  /** The connection ended for good (closed, or the budget spent): it no longer waits in an outage. */
  private settled(): void {
    if (!this.outageCounted) return;
    this.outageCounted = false;
    const outage = outages.get(this.where);
    if (outage !== undefined && --outage.connections === 0) outages.delete(this.where);
    if (!this.closing && this.refusal === null)
      console.error(`aevb: ${this.where}: gave up reconnecting after ${(this.reconnectForMs / 1000).toFixed(0)} s`);
  }

  /** Sends one command; replies keep binary values as Buffers. */
  async send(command: string, ...args: RedisArgument[]): Promise<unknown> {
    try {
      return await this.redis.callBuffer(command, ...onTheWire(args));
    } catch (error) {
      throw this.error(command, error);
    }
  }

  /** Sends commands in one round trip (a pipeline); the first failure rejects with its command's name. */
  async pipeline(commands: [string, ...RedisArgument[]][]): Promise<unknown[]> {
    const pipe = this.redis.pipeline();
    for (const [command, ...args] of commands) pipe.callBuffer(command, ...onTheWire(args));
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipe.exec();
    } catch (error) {
      throw this.error(commands[0][0], error);
    }
    if (results === null) throw this.error(commands[0][0], new Error('the pipeline was discarded'));
    return results.map(([error, value], i) => {
      if (error) throw this.error(commands[i][0], error);
      return value;
    });
  }

  /** Sends commands as one transaction (MULTI … EXEC): all of them or none; resolves to their replies. */
  async transaction(commands: [string, ...RedisArgument[]][]): Promise<unknown[]> {
    const multi = this.redis.multi();
    for (const [command, ...args] of commands) multi.callBuffer(command, ...onTheWire(args));
    try {
      const results = await multi.exec();
      if (results === null) throw new Error('the transaction was discarded');
      const failed = results.find(([error]) => error !== null);
      if (failed) throw failed[0];
      return results.map(([, value]) => value);
    } catch (error) {
      throw this.error(commands.map((c) => c[0]).join('+'), error);
    }
  }

  /** Closes at once, without waiting for replies (what a crash would do): commands waiting fail. */
  disconnect(): void {
    this.closing = true;
    this.redis.disconnect();
  }

  /** Closes after the replies already asked for; at once when the connection is down (nothing would answer). */
  async quit(): Promise<void> {
    if (!this.ready) return this.disconnect();
    this.closing = true;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private error(command: string, error: unknown): Error {
    const message = (error as Error).message;
    // OpenSSL's messages end with a newline: trimmed, the advice after them stays on the line.
    const last = this.lastError?.message.trim() ?? null;
    const cause = last !== null && last !== message ? ` (${last})` : '';
    const gaveUp =
      !this.closing && this.lostAt !== null && performance.now() - this.lostAt >= this.reconnectForMs
        ? `, after retrying the connection for ${(this.reconnectForMs / 1000).toFixed(0)} s (reconnect-for)`
        : '';
    const moved = /^MOVED /.test(message) ? ' (the server is a node of a Redis Cluster: add cluster=1 to the URL)' : '';
    const refused = this.refusal === null ? '' : ` (${this.refusal})`;
    const auth = /NOAUTH|WRONGPASS/.test(message)
      ? ' (give the password with REDIS_PASSWORD or --redis-password-file; aevb never writes it into a file)'
      : '';
    return new Error(`${this.where}: ${command} failed: ${message}${cause}${gaveUp}${refused}${moved}${auth}`, {
      cause: error,
    });
  }
}

/** A Uint8Array as a Buffer without copying (ioredis sends Buffers as binary). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
