// Shared Redis plumbing for the suites that test the stream source against a real redis-server, as gpu_suite.ts is
// for the device: a server started in `before` and stopped in `after`, an admin connection, a fresh stream name per
// test, and the sources a test made, abandoned at the end (a failed test leaves no connection that keeps the process
// alive). Without redis-server the suite's Redis tests are skipped, saying so (redisServerInstalled).
import type { Test } from 'uvu';
import { Redis } from 'ioredis';
import type { RedisStreamSource } from '../src/data/redis/source.node.ts';
import { redisServerInstalled, startRedisServer, type RedisServer } from './servers/redis_server.ts';

export interface RedisFixture {
  /** The suite's redis-server (from `before` on). */
  readonly server: RedisServer;
  /** A connection for the tests' own commands (RESP2 replies, as the source reads them). */
  readonly admin: Redis;
  /** A stream name no other test of the suite uses: `<prefix>-1`, `<prefix>-2`, … */
  newStream(): string;
  /** Registers a source, abandoned when the suite ends; returns it. */
  keep(source: RedisStreamSource): RedisStreamSource;
}

/**
 * Registers the fixture's hooks on `test` and returns it, or null (the suite's Redis tests are then not registered)
 * when redis-server is not installed; `what` names the tests in the message that says so.
 */
export function redisSuite(test: Test, what: string, streamPrefix: string): RedisFixture | null {
  if (!redisServerInstalled(what)) return null;
  let server: RedisServer | null = null;
  let admin: Redis | null = null;
  let streams = 0;
  const sources: RedisStreamSource[] = [];
  test.before(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url, { protocol: 2 });
  });
  test.after(async () => {
    for (const s of sources) s.abandon();
    admin?.disconnect();
    await server?.stop();
  });
  const started = <T>(value: T | null, name: string): T => {
    if (value === null) throw new Error(`redisSuite: the ${name} is there from the suite's before hook on`);
    return value;
  };
  return {
    get server() {
      return started(server, 'server');
    },
    get admin() {
      return started(admin, 'admin connection');
    },
    newStream: () => `${streamPrefix}-${++streams}`,
    keep: (source) => {
      sources.push(source);
      return source;
    },
  };
}
