// Node-only: the address of a run of trainers that average their parameters (redis_peers.node.ts) —
// `redis://host:port/RUN?size=N&rank=R&every=H` with its timings, database, cluster and TLS parameters — parsed
// and checked, with size and rank taken from the environment when the URL leaves them out, as torchrun and
// Kubernetes Indexed Jobs give them (WORLD_SIZE, RANK, JOB_COMPLETION_INDEX). Apart from the averaging so that
// the URL's rules read in one place; Node-only for the environment (src/gpu/settings.node.ts reads it).
import {
  clusterParameter,
  redactUrl,
  TLS_PARAMETERS,
  tlsParameters,
  withTls,
  type RedisStreamAddress,
} from '../data/redis/url.ts';
import { readEnvironmentSettings, type EnvironmentSettings } from '../gpu/settings.node.ts';

export interface PeerSettings extends RedisStreamAddress {
  /** The run's name: the prefix of every key (the URL's path; `stream` of the address). */
  run: string;
  /** Trainers in the run (N). */
  size: number;
  /** This trainer's rank, 0 … N − 1. */
  rank: number;
  /** Steps between averaging rounds (H). */
  every: number;
  /** Longest wait for the others in a regular round, ms (the final round waits for every live member). */
  deadlineMs: number;
  /** Heartbeat period, ms; a trainer silent for HEARTBEAT_LIVES (redis_peers.node.ts) periods is no longer a member. */
  heartbeatMs: number;
  /**
   * The final round's wait for a live member that shows no progress (enters no regular round, does not finish),
   * ms: past it, the member is taken for hung and the round closes without it. The URL's final-deadline; default
   * the deadline.
   */
  finalDeadlineMs: number;
}

const PARAMETERS = [
  'size',
  'rank',
  'every',
  'deadline',
  'heartbeat',
  'final-deadline',
  'db',
  'cluster',
  ...Object.values(TLS_PARAMETERS),
] as const;

/** Where size and rank come from when the URL leaves them out. */
export type PeerEnvironment = Pick<EnvironmentSettings, 'rank' | 'jobCompletionIndex' | 'worldSize'>;

/**
 * Parses `redis://host:port/RUN?size=N&rank=R&every=H[&deadline=ms&heartbeat=ms&final-deadline=ms]`. Without `size`, WORLD_SIZE
 * gives it; without `rank`, RANK (torchrun) or JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) does.
 */
export function parsePeersUrl(text: string, env: PeerEnvironment = readEnvironmentSettings()): PeerSettings {
  // Messages name the URL without its password.
  const shown = redactUrl(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${shown}: expected --peers redis://host:port/RUN?size=N&rank=R&every=H`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new Error(`${shown}: expected a redis:// or rediss:// URL, got ${url.protocol}`);
  if (url.host === '') throw new Error(`${shown}: names no server: expected redis://host:port/RUN`);
  for (const key of url.searchParams.keys()) {
    if (!(PARAMETERS as readonly string[]).includes(key))
      throw new Error(`${shown}: unknown parameter '${key}' (known: ${PARAMETERS.join(', ')})`);
  }
  /** The URL's ?key=, else the first environment variable set, else `fallback`. */
  const integer = (key: string, min: number, fallback?: number, from: [string, string | undefined][] = []): number => {
    let value = url.searchParams.get(key);
    let where = `${key}`;
    const variable = value === null ? from.find(([, v]) => v !== undefined) : undefined;
    if (variable !== undefined)
      [where, value] = [`${variable[0]} (the environment's, as the URL gives no ?${key}=)`, variable[1]!];
    if (value === null) {
      if (fallback === undefined) {
        const names = from.map(([name]) => name);
        throw new Error(
          `${shown}: expected ?${key}=… (an integer ≥ ${min})${names.length === 0 ? '' : ` or the environment's ${names.join(' or ')}`}`,
        );
      }
      return fallback;
    }
    const n = Number(value);
    if (value.trim() === '' || !/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min)
      throw new Error(`${shown}: ${where} must be an integer ≥ ${min}, got '${value}'`);
    return n;
  };
  const run = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (run === '') throw new Error(`${shown}: expected the run's name as the URL's path: redis://host:port/RUN`);
  const size = integer('size', 1, undefined, [['WORLD_SIZE', env.worldSize]]);
  const rank = integer('rank', 0, undefined, [
    ['RANK', env.rank],
    ['JOB_COMPLETION_INDEX', env.jobCompletionIndex],
  ]);
  if (rank >= size) throw new Error(`${shown}: rank must be below size (${size}), got ${rank}`);
  const auth = url.username !== '' || url.password !== '' ? `${url.username}:${url.password}@` : '';
  const deadlineMs = integer('deadline', 1, 60_000);
  return {
    server: `${url.protocol}//${auth}${url.host}`,
    stream: run,
    db: integer('db', 0, 0),
    ...(clusterParameter(url, text) ? { cluster: true } : {}),
    ...withTls(tlsParameters(url, text)),
    run,
    size,
    rank,
    every: integer('every', 1),
    deadlineMs,
    heartbeatMs: integer('heartbeat', 1, 1000),
    finalDeadlineMs: integer('final-deadline', 1, deadlineMs),
  };
}
