// Node-only: connections to Redis (ioredis) for the stream source and the producer: bounded reconnection, so a
// server that is down is an error naming the URL rather than an endless wait, and one typed way to send raw
// commands (ioredis's per-command typings are overloads too many to be useful for streams).
import { Redis } from 'ioredis';
import { describeStream, type RedisStreamAddress } from './redis_url.ts';

/** Reconnection attempts before commands fail (at 100, 200 … 1000 ms: about 5 s in all). */
const RECONNECT_ATTEMPTS = 10;

export type RedisArgument = string | number | Buffer;

/** A connection that names its stream in every error. */
export class RedisConnection {
  private readonly redis: Redis;
  private readonly where: string;
  private lastError: Error | null = null;

  constructor(address: RedisStreamAddress, purpose: string) {
    this.where = describeStream(address);
    this.redis = new Redis(address.server, {
      db: address.db,
      // RESP2: the reply shapes every Redis server gives (RESP3 turns stream replies into maps).
      protocol: 2,
      // CLIENT SETNAME refuses spaces and odd characters; the name only helps CLIENT LIST readers.
      connectionName: `aevb-${purpose}`.replace(/[^\w.-]/g, '_'),
      maxRetriesPerRequest: 2,
      retryStrategy: (times) => (times > RECONNECT_ATTEMPTS ? null : Math.min(100 * times, 1000)),
    });
    // Without a listener ioredis prints every connection error; keep the last one for the message instead.
    this.redis.on('error', (error: Error) => {
      this.lastError = error;
    });
  }

  /** Sends one command; replies keep binary values as Buffers. */
  async send(command: string, ...args: RedisArgument[]): Promise<unknown> {
    try {
      return await this.redis.callBuffer(command, ...args);
    } catch (error) {
      throw this.error(command, error);
    }
  }

  /** Sends commands in one round trip (a pipeline); the first failure rejects with its command's name. */
  async pipeline(commands: [string, ...RedisArgument[]][]): Promise<unknown[]> {
    const pipe = this.redis.pipeline();
    for (const [command, ...args] of commands) pipe.callBuffer(command, ...args);
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

  /** Sends commands as one transaction (MULTI … EXEC): all of them or none. */
  async transaction(commands: [string, ...RedisArgument[]][]): Promise<void> {
    const multi = this.redis.multi();
    for (const [command, ...args] of commands) multi.callBuffer(command, ...args);
    try {
      const results = await multi.exec();
      const failed = results?.find(([error]) => error !== null);
      if (failed) throw failed[0];
    } catch (error) {
      throw this.error(commands.map((c) => c[0]).join('+'), error);
    }
  }

  /** Closes at once, without waiting for replies (what a crash would do). */
  disconnect(): void {
    this.redis.disconnect();
  }

  /** Closes after the replies already asked for. */
  async quit(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private error(command: string, error: unknown): Error {
    const message = (error as Error).message;
    const cause = this.lastError !== null && this.lastError.message !== message ? ` (${this.lastError.message})` : '';
    return new Error(`${this.where}: ${command} failed: ${message}${cause}`, { cause: error });
  }
}

/** A Uint8Array as a Buffer without copying (ioredis sends Buffers as binary). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
