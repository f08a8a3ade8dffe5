// Node-only: the row source a `--data` value names when it is a URL rather than a path — a Redis stream
// (redis://, rediss://) or HTTP(S) data (one file, or shards with brace ranges) — so the CLI tells them apart
// in one place.
import { httpShardsSource } from './http_shards.ts';
import { redisSource } from './redis/source.node.ts';
import type { DataFormat } from './row_format.ts';
import type { RowSource } from './row_source.ts';

export interface RemoteSourceOptions {
  /** The run's seed: keys the shard order. */
  seed: number;
  format?: DataFormat;
  dim?: number;
  /** --shard-of i/N, for HTTP(S) shards (a Redis stream shares its entries through its consumer group instead). */
  shardOf?: { index: number; count: number };
  /** The epoch the run starts at (a resumed run's), which keys the first pass's shard order. */
  firstEpoch?: number;
  /** A Redis stream's password when its URL has none (REDIS_PASSWORD, --redis-password-file). */
  redisPassword?: string;
}

/** The source for a URL, or null when `data` is not one (a file or directory path). */
export function remoteSourceFor(data: string, o: RemoteSourceOptions): RowSource | null {
  const scheme = /^([a-z]+):\/\//.exec(data)?.[1];
  if (scheme === 'redis' || scheme === 'rediss') {
    if (o.shardOf !== undefined)
      throw new Error(
        `${data}: --shard-of splits HTTP(S) shards; trainers sharing a Redis stream split it through their consumer group`,
      );
    if (o.format !== undefined && o.format !== 'auto')
      throw new Error(`${data}: a Redis stream's entries say their own type (field t); drop --format`);
    return redisSource(data, { password: o.redisPassword });
  }
  if (scheme === 'http' || scheme === 'https') {
    return httpShardsSource(data, {
      seed: o.seed,
      format: o.format,
      dim: o.dim,
      shardOf: o.shardOf,
      firstEpoch: o.firstEpoch,
    });
  }
  return null;
}
