// Node-only: several trainers that average their parameters every H steps (local SGD / federated averaging),
// with Redis as the rendezvous and the blob store — `redis://host:port/RUN?size=N&rank=R&every=H`.
//
// A round r: each trainer stores its parameters (SET RUN:r:p:RANK, raw float32), joins the round's set
// (SADD RUN:r:in), then waits until every trainer whose heartbeat is alive (RUN:alive:RANK, refreshed every
// heartbeat, expiring after three), or that has not started yet (no RUN:seen:RANK), has joined, or the deadline
// passes: a trainer whose heartbeat expired is left out. The first trainer to see either closes
// the round (SET RUN:r:closed NX): that one write fixes the members, so every trainer — a late one included —
// averages the same vectors in the same order and gets bit-identical parameters. A trainer that arrives after
// the close is not a member but takes the average all the same. The lowest-ranked member stores the average as
// RUN:latest, which a trainer that joins late or restarts picks up. Keys expire (TTL), so a run leaves nothing
// behind. Optimizer state stays with each trainer; only parameters travel.
import { asBuffer, RedisConnection } from '../data/redis_connection.node.ts';
import type { RedisStreamAddress } from '../data/redis_url.ts';

export interface PeerSettings extends RedisStreamAddress {
  /** The run's name: the prefix of every key (the URL's path; `stream` of the address). */
  run: string;
  /** Trainers in the run (N). */
  size: number;
  /** This trainer's rank, 0 … N − 1. */
  rank: number;
  /** Steps between averaging rounds (H). */
  every: number;
  /** Longest wait for the others in a round, ms. */
  deadlineMs: number;
  /** Heartbeat period, ms; a trainer silent for three is left out of rounds. */
  heartbeatMs: number;
}

/** What one round did. */
export interface AveragingRound {
  round: number;
  /** Ranks whose parameters were averaged, ascending. */
  members: number[];
  /** The average, float32, the same on every trainer. */
  parameters: Float32Array;
  /** Wall time of the round, waiting included. */
  seconds: number;
  /** Bytes this trainer sent (its parameters, and the average if it stored it) and received. */
  bytesSent: number;
  bytesReceived: number;
}

const PARAMETERS = ['size', 'rank', 'every', 'deadline', 'heartbeat', 'db'] as const;

/** Parses `redis://host:port/RUN?size=N&rank=R&every=H[&deadline=ms&heartbeat=ms]`. */
export function parsePeersUrl(text: string): PeerSettings {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${text}: expected --peers redis://host:port/RUN?size=N&rank=R&every=H`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`${text}: expected a redis:// or rediss:// URL, got ${url.protocol}`);
  for (const key of url.searchParams.keys()) {
    if (!(PARAMETERS as readonly string[]).includes(key)) throw new Error(`${text}: unknown parameter '${key}' (known: ${PARAMETERS.join(', ')})`);
  }
  const integer = (key: string, min: number, fallback?: number): number => {
    const value = url.searchParams.get(key);
    if (value === null) {
      if (fallback === undefined) throw new Error(`${text}: expected ?${key}=… (an integer ≥ ${min})`);
      return fallback;
    }
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new Error(`${text}: ${key} must be an integer ≥ ${min}, got '${value}'`);
    return n;
  };
  const run = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (run === '') throw new Error(`${text}: expected the run's name as the URL's path: redis://host:port/RUN`);
  const size = integer('size', 1);
  const rank = integer('rank', 0);
  if (rank >= size) throw new Error(`${text}: rank must be below size (${size}), got ${rank}`);
  const auth = url.username !== '' || url.password !== '' ? `${url.username}:${url.password}@` : '';
  return {
    server: `${url.protocol}//${auth}${url.host}`, stream: run, db: integer('db', 0, 0),
    run, size, rank, every: integer('every', 1), deadlineMs: integer('deadline', 1, 60_000), heartbeatMs: integer('heartbeat', 1, 1000),
  };
}

const bytesOf = (v: Float32Array) => asBuffer(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
const floatsOf = (b: Buffer) => new Float32Array(new Uint8Array(b).buffer);

/** One trainer's side of the averaging; see the file's header. */
export class PeerAveraging {
  readonly settings: PeerSettings;
  private readonly connection: RedisConnection;
  private heartbeat: ReturnType<typeof setInterval> | null = null;

  constructor(settings: PeerSettings) {
    this.settings = settings;
    this.connection = new RedisConnection(settings, `peer-${settings.run}-${settings.rank}`);
  }

  private key(...parts: (string | number)[]): string {
    return [this.settings.run, ...parts].join(':');
  }

  /** How long a round's keys live: long enough for the slowest trainer to read them. */
  private get ttlMs(): number {
    return 10 * this.settings.deadlineMs;
  }

  /** Starts the heartbeat; returns the latest average (a trainer that joins late or restarts) or null. */
  async join(): Promise<{ round: number; parameters: Float32Array } | null> {
    await this.beat();
    this.heartbeat ??= setInterval(() => void this.beat().catch(() => {}), this.settings.heartbeatMs);
    this.heartbeat.unref();
    const [round, bytes] = (await this.connection.send('HMGET', this.key('latest'), 'round', 'parameters')) as [Buffer | null, Buffer | null];
    return round === null || bytes === null ? null : { round: Number(round.toString()), parameters: floatsOf(bytes) };
  }

  /** Stops the heartbeat and says so at once (the others stop waiting for this trainer). */
  async leave(): Promise<void> {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    await this.connection.send('DEL', this.key('alive', this.settings.rank)).catch(() => {});
    await this.connection.quit();
  }

  /** Stops as a crash would: no goodbye, the heartbeat just stops (tests). */
  abandon(): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.connection.disconnect();
  }

  private async beat(): Promise<void> {
    await this.connection.pipeline([
      ['SET', this.key('alive', this.settings.rank), '1', 'PX', 3 * this.settings.heartbeatMs],
      // Seen once: a rank that has never been seen is still starting, and is waited for until the deadline.
      ['SET', this.key('seen', this.settings.rank), '1', 'PX', this.ttlMs],
    ]);
  }

  /**
   * Round `round`: contributes `parameters`, waits for the others (bounded by the deadline), and returns the
   * average that `mean` computes from the members' vectors in rank order (a trainer: Vae.averageOf, on the GPU).
   */
  async average(round: number, parameters: Float32Array, mean: (vectors: Float32Array[]) => Promise<Float32Array>): Promise<AveragingRound> {
    const s = this.settings;
    const started = performance.now();
    const deadline = started + s.deadlineMs;
    const closedKey = this.key(round, 'closed');
    await this.connection.pipeline([
      ['SET', this.key(round, 'p', s.rank), bytesOf(parameters), 'PX', this.ttlMs],
      ['SADD', this.key(round, 'in'), s.rank],
      ['PEXPIRE', this.key(round, 'in'), this.ttlMs],
    ]);
    let bytesSent = parameters.byteLength;
    const ranks = Array.from({ length: s.size }, (_, k) => k);
    let members: number[] | null = null;
    for (let poll = 0; members === null; poll++) {
      const [closed, joined, alive, seen] = await this.connection.pipeline([
        ['GET', closedKey],
        ['SMEMBERS', this.key(round, 'in')],
        ['MGET', ...ranks.map((k) => this.key('alive', k))],
        ['MGET', ...ranks.map((k) => this.key('seen', k))],
      ]) as [Buffer | null, Buffer[], (Buffer | null)[], (Buffer | null)[]];
      if (closed !== null) {
        members = JSON.parse(closed.toString()) as number[];
        break;
      }
      const inRound = joined.map((b) => Number(b.toString())).sort((a, b) => a - b);
      // Waited for: every rank not in the round yet that is alive or has not started; one whose heartbeat has
      // expired (it died, or left) is not.
      const waitingFor = ranks.filter((k) => !inRound.includes(k) && (alive[k] !== null || seen[k] === null));
      if (waitingFor.length === 0 || performance.now() >= deadline) {
        // Whoever closes first fixes the members; everyone then reads that one decision.
        await this.connection.send('SET', closedKey, JSON.stringify(inRound), 'NX', 'PX', this.ttlMs);
        continue;
      }
      await new Promise((r) => setTimeout(r, Math.min(2 * 1.5 ** poll, 50)));
    }
    const blobs = (await this.connection.send('MGET', ...members.map((k) => this.key(round, 'p', k)))) as (Buffer | null)[];
    const vectors = blobs.map((b, i) => {
      if (b === null) throw new Error(`${this.key(round)}: the parameters of rank ${members![i]} expired before they were read (deadline ${s.deadlineMs} ms)`);
      if (b.length !== parameters.byteLength) {
        throw new Error(`${this.key(round)}: rank ${members![i]} sent ${b.length / 4} parameters, this trainer (rank ${s.rank}) has ${parameters.length}: are they training the same model?`);
      }
      return floatsOf(b);
    });
    const average = await mean(vectors);
    if (members[0] === s.rank) {
      await this.connection.send('HSET', this.key('latest'), 'round', round, 'parameters', bytesOf(average));
      bytesSent += average.byteLength;
    }
    return { round, members, parameters: average, seconds: (performance.now() - started) / 1000, bytesSent, bytesReceived: vectors.length * parameters.byteLength };
  }
}
