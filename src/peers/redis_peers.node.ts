// Node-only: several trainers that average their parameters every H steps (local SGD / federated averaging),
// with Redis as the rendezvous and the blob store — `redis://host:port/RUN?size=N&rank=R&every=H`, parsed, with
// size and rank from the environment when it leaves them out, in peers_url.node.ts.
//
// Every key is RUN's, with the run's name as Redis Cluster hash tag ({RUN}:…, written RUN:… below), so a run's
// MGETs and pipelines stay on one slot; `cluster=1` connects to a cluster.
//
// Membership is by heartbeat: every trainer refreshes RUN:alive:RANK every `heartbeat` ms, and the key expires
// after three (HEARTBEAT_LIVES); a trainer whose key is gone — it died, or it left — is no longer a member and is
// waited for by no round. A trainer that finishes says so by entering the final round (SADD RUN:final:in), and
// is waited for by no regular round from then on. Ranks never seen (RUN:seen) are waited for, up to the deadline,
// only in the run's first round and in the final round: they may still be starting.
//
// Round r: each trainer stores its parameters (SET RUN:r:p:RANK, raw float32), joins the round's set
// (SADD RUN:r:in), then waits until every member not yet in it has joined, or the deadline passes. The first
// trainer to see either closes the round (SET RUN:r:closed NX): that one write fixes the members, so every
// trainer — a late one included — averages the same vectors in the same order and gets bit-identical parameters.
// A trainer that arrives after the close is not a member but takes the average all the same. The lowest-ranked
// member stores the average as RUN:latest; a trainer that joins — late, or restarted behind the others — takes
// it before it trains and numbers its next round after it, so it re-joins at the current round instead of
// replaying old ones.
//
// The final round (finish()): a trainer whose run is over stores its parameters (RUN:final:p:RANK) and waits
// until every live member has finished too — for as long as they show progress, since they are still training:
// each regular round a trainer enters is progress (RUN:progress:RANK), and a live member that shows none for
// `final-deadline` ms (the round's deadline by default) is hung, and is waited for no longer. The average of all
// finishers, again fixed by one SET NX, is every trainer's result, bit-identical on every rank whatever step each
// stopped at; the ranks of the run that are not in it are named (FinalRound.absent). Keys expire (TTL), so a run
// leaves nothing behind. Optimizer state stays with each trainer; only parameters travel.
import { RedisConnection } from '../data/redis/connection.node.ts';
import { keyPrefixOf } from '../data/redis/url.ts';
import type { PeerSettings } from './peers_url.node.ts';

/** A trainer whose heartbeat is this many periods old is gone. */
export const HEARTBEAT_LIVES = 3;

/** What one round did. */
export interface AveragingRound {
  /** The round's number; for the final round, the number its finishers' regular rounds reached. */
  round: number;
  /** True for the final round: the run's result. */
  final: boolean;
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

/** The final round: the round's figures, and the step at which each member finished. */
export interface FinalRound extends AveragingRound {
  /** members[i] finished at steps[i]. */
  steps: number[];
  /** The ranks of the run that are not members: they died, left, were stopped, or hung past final-deadline. */
  absent: number[];
}

const bytesOf = (v: Float32Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
const floatsOf = (b: Buffer) => new Float32Array(new Uint8Array(b).buffer);
const ranksOf = (set: Buffer[]) => set.map((b) => Number(b.toString())).sort((a, b) => a - b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What join() finds: the latest average, if any round has closed yet, and the number of this trainer's next round. */
export interface Joined {
  latest: { round: number; parameters: Float32Array } | null;
  nextRound: number;
}

/** One trainer's side of the averaging; see the file's header. */
export class PeerAveraging {
  readonly settings: PeerSettings;
  private readonly connection: RedisConnection;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  /** Set once this trainer has entered the final round: its beats keep the final round's keys alive. */
  private finishing = false;

  constructor(settings: PeerSettings) {
    this.settings = settings;
    this.connection = new RedisConnection(settings, `peer-${settings.run}-${settings.rank}`);
  }

  private key(...parts: (string | number)[]): string {
    // The run's name as hash tag ({RUN}:…): every key of a run on one Redis Cluster slot, for MGET and pipelines.
    return [keyPrefixOf(this.settings.run), ...parts].join(':');
  }

  /** How long a round's keys live: long enough for the slowest trainer to read them. */
  private get ttlMs(): number {
    return 10 * this.settings.deadlineMs;
  }

  /**
   * Starts the heartbeat (this trainer is a member from now on) and returns the latest average — which a trainer
   * that joins late or restarts takes before it trains — and the number of its next round. A run whose final
   * round has closed is over: joining it is refused.
   */
  async join(): Promise<Joined> {
    const s = this.settings;
    const closed = (await this.connection.send('GET', this.key('final', 'closed'))) as Buffer | null;
    if (closed !== null) {
      throw new Error(
        `${this.settings.run}: this run is over (its final round closed with ranks ${JSON.parse(closed.toString()).join(', ')}); give ` +
          `a new run its own name (the URL's path), or wait ${this.ttlMs / 1000} s (10 × deadline) for the old run's keys to expire`,
      );
    }
    await this.beat();
    this.heartbeat ??= setInterval(() => void this.beat().catch(() => {}), s.heartbeatMs);
    this.heartbeat.unref();
    const [round, bytes] = (await this.connection.send('HMGET', this.key('latest'), 'round', 'parameters')) as [
      Buffer | null,
      Buffer | null,
    ];
    const latest =
      round === null || bytes === null ? null : { round: Number(round.toString()), parameters: floatsOf(bytes) };
    return { latest, nextRound: latest === null ? 0 : latest.round + 1 };
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
    const s = this.settings;
    const ttl = this.ttlMs;
    await this.connection.pipeline([
      ['SET', this.key('alive', s.rank), '1', 'PX', HEARTBEAT_LIVES * s.heartbeatMs],
      // Seen once: a rank never seen is still starting, and is waited for (up to the deadline) in the first round.
      ['SADD', this.key('seen'), s.rank],
      ['PEXPIRE', this.key('seen'), ttl],
      ['PEXPIRE', this.key('latest'), ttl],
      // A finisher may wait long for the others: its contribution to the final round lives while it does.
      ...(this.finishing
        ? ([
            ['PEXPIRE', this.key('final', 'in'), ttl],
            ['PEXPIRE', this.key('final', 'p', s.rank), ttl],
            ['PEXPIRE', this.key('final', 'steps'), ttl],
          ] as [string, string, number][])
        : []),
    ]);
  }

  /**
   * Who is a member now: ranks with a live heartbeat, ranks ever seen, and ranks that have finished; and each
   * rank's progress (the last regular round it entered, as text; null before its first).
   */
  private async membership(): Promise<{
    alive: Set<number>;
    seen: Set<number>;
    finished: Set<number>;
    progress: (string | null)[];
  }> {
    const ranks = Array.from({ length: this.settings.size }, (_, k) => k);
    const [alive, seen, finished, progress] = (await this.connection.pipeline([
      ['MGET', ...ranks.map((k) => this.key('alive', k))],
      ['SMEMBERS', this.key('seen')],
      ['SMEMBERS', this.key('final', 'in')],
      ['MGET', ...ranks.map((k) => this.key('progress', k))],
    ])) as [(Buffer | null)[], Buffer[], Buffer[], (Buffer | null)[]];
    return {
      alive: new Set(ranks.filter((k) => alive[k] !== null)),
      seen: new Set(ranksOf(seen)),
      finished: new Set(ranksOf(finished)),
      progress: progress.map((b) => (b === null ? null : b.toString())),
    };
  }

  /**
   * Waits until `closedKey` is set, closing it itself (SET NX, with the ranks in `inKey`) once `waitingFor` —
   * given the ranks in the round and the membership — is empty or `deadline` (performance.now() ms) has passed.
   * When `signal` aborts (the run is being stopped): `onAbort` 'close' closes the round now, as the deadline
   * would; 'leave' returns null without closing.
   */
  private async closeWhenReady(
    closedKey: string,
    inKey: string,
    deadline: number,
    o: { signal?: AbortSignal; onAbort: 'close' | 'leave'; maxPollMs: number; onWait?: (ranks: number[]) => void },
    waitingFor: (inRound: number[], m: Awaited<ReturnType<PeerAveraging['membership']>>) => number[],
  ): Promise<number[] | null> {
    let said = false;
    for (let poll = 0; ; poll++) {
      const [closed, joined] = (await this.connection.pipeline([
        ['GET', closedKey],
        ['SMEMBERS', inKey],
      ])) as [Buffer | null, Buffer[]];
      if (closed !== null) return JSON.parse(closed.toString()) as number[];
      const aborted = o.signal?.aborted === true;
      if (aborted && o.onAbort === 'leave') return null;
      const inRound = ranksOf(joined);
      const waiting = waitingFor(inRound, await this.membership());
      if (waiting.length === 0 || performance.now() >= deadline || aborted) {
        // Whoever closes first fixes the members; everyone then reads that one decision.
        await this.connection.send('SET', closedKey, JSON.stringify(inRound), 'NX', 'PX', this.ttlMs);
        continue;
      }
      if (!said && o.onWait !== undefined && poll >= 10) {
        said = true;
        o.onWait(waiting);
      }
      await sleep(Math.min(2 * 1.5 ** poll, o.maxPollMs));
    }
  }

  /** The members' parameters of a closed round, checked against this trainer's. */
  private async vectorsOf(where: string, blobKeys: string[], members: number[], P: number): Promise<Float32Array[]> {
    const blobs = blobKeys.length === 0 ? [] : ((await this.connection.send('MGET', ...blobKeys)) as (Buffer | null)[]);
    return blobs.map((b, i) => {
      if (b === null)
        throw new Error(
          `${where}: the parameters of rank ${members[i]} expired before they were read (deadline ${this.settings.deadlineMs} ms)`,
        );
      if (b.length !== 4 * P) {
        throw new Error(
          `${where}: rank ${members[i]} sent ${b.length / 4} parameters, this trainer (rank ${this.settings.rank}) has ${P}: are they training the same model?`,
        );
      }
      return floatsOf(b);
    });
  }

  /**
   * Round `round`: contributes `parameters`, waits for the other members (bounded by the deadline), and returns
   * the average that `mean` computes from the members' vectors in rank order (a trainer: Vae.averageOf, on the GPU).
   */
  async average(
    round: number,
    parameters: Float32Array,
    mean: (vectors: Float32Array[]) => Promise<Float32Array>,
    signal?: AbortSignal,
  ): Promise<AveragingRound> {
    const s = this.settings;
    const started = performance.now();
    await this.connection.pipeline([
      ['SET', this.key(round, 'p', s.rank), bytesOf(parameters), 'PX', this.ttlMs],
      ['SADD', this.key(round, 'in'), s.rank],
      ['PEXPIRE', this.key(round, 'in'), this.ttlMs],
      // Progress, for a final round waiting for this trainer: it is still training, not hung.
      ['SET', this.key('progress', s.rank), round, 'PX', this.ttlMs],
    ]);
    let bytesSent = parameters.byteLength;
    // Waited for: every member not in the round yet — alive and not finished — and, in the run's first round only,
    // a rank never seen (it may still be starting). A rank whose heartbeat expired (it died, or left) is not.
    const members = (await this.closeWhenReady(
      this.key(round, 'closed'),
      this.key(round, 'in'),
      started + s.deadlineMs,
      { signal, onAbort: 'close', maxPollMs: 50 },
      (inRound, m) =>
        Array.from({ length: s.size }, (_, k) => k).filter(
          (k) => !inRound.includes(k) && !m.finished.has(k) && (m.alive.has(k) || (round === 0 && !m.seen.has(k))),
        ),
    ))!;
    const vectors = await this.vectorsOf(
      `${s.run}:${round}`,
      members.map((k) => this.key(round, 'p', k)),
      members,
      parameters.length,
    );
    const average = await mean(vectors);
    if (members[0] === s.rank) {
      await this.connection.pipeline([
        ['HSET', this.key('latest'), 'round', round, 'parameters', bytesOf(average)],
        ['PEXPIRE', this.key('latest'), this.ttlMs],
      ]);
      bytesSent += average.byteLength;
    }
    return {
      round,
      final: false,
      members,
      parameters: average,
      seconds: (performance.now() - started) / 1000,
      bytesSent,
      bytesReceived: vectors.length * parameters.byteLength,
    };
  }

  /**
   * The final round: this trainer has finished at `step` (it is waited for by no regular round from now on);
   * contributes `parameters` and waits until every live member has finished — a member for as long as it shows
   * progress, up to final-deadline after the last (a hung one is not waited for longer); a rank never seen up to
   * the deadline — then returns the average of all finishers: the run's result, the same bits on every rank.
   * `onWait` hears once which ranks are still training, when the wait is not short. When `signal` aborts before
   * the round closes, this trainer takes its parameters out of the round and returns null.
   */
  async finish(
    round: number,
    step: number,
    parameters: Float32Array,
    mean: (vectors: Float32Array[]) => Promise<Float32Array>,
    o: { signal?: AbortSignal; onWait?: (ranks: number[]) => void } = {},
  ): Promise<FinalRound | null> {
    const s = this.settings;
    const started = performance.now();
    this.finishing = true;
    await this.connection.pipeline([
      ['SET', this.key('final', 'p', s.rank), bytesOf(parameters), 'PX', this.ttlMs],
      ['HSET', this.key('final', 'steps'), s.rank, step],
      ['PEXPIRE', this.key('final', 'steps'), this.ttlMs],
      ['SADD', this.key('final', 'in'), s.rank],
      ['PEXPIRE', this.key('final', 'in'), this.ttlMs],
    ]);
    // Each rank waited for: its last progress seen and when it was first seen (performance.now() ms).
    const lastProgress = new Map<number, { progress: string | null; since: number }>();
    const showsProgress = (k: number, progress: string | null) => {
      const now = performance.now();
      const last = lastProgress.get(k);
      if (last === undefined || last.progress !== progress) lastProgress.set(k, { progress, since: now });
      return now < lastProgress.get(k)!.since + s.finalDeadlineMs;
    };
    const members = await this.closeWhenReady(
      this.key('final', 'closed'),
      this.key('final', 'in'),
      Infinity,
      { signal: o.signal, onAbort: 'leave', maxPollMs: 200, onWait: o.onWait },
      (inRound, m) =>
        Array.from({ length: s.size }, (_, k) => k).filter(
          (k) =>
            !inRound.includes(k) &&
            (m.alive.has(k)
              ? showsProgress(k, m.progress[k])
              : !m.seen.has(k) && performance.now() < started + s.deadlineMs),
        ),
    );
    if (members === null) {
      // Stopped while the others train: out of the round, unless it closed in the meantime (then it counts).
      await this.connection.send('SREM', this.key('final', 'in'), s.rank);
      const closed = (await this.connection.send('GET', this.key('final', 'closed'))) as Buffer | null;
      if (closed === null || !(JSON.parse(closed.toString()) as number[]).includes(s.rank)) return null;
      return this.finish(round, step, parameters, mean, {});
    }
    const vectors = await this.vectorsOf(
      `${s.run}:final`,
      members.map((k) => this.key('final', 'p', k)),
      members,
      parameters.length,
    );
    const steps = (
      (await this.connection.send('HMGET', this.key('final', 'steps'), ...members)) as (Buffer | null)[]
    ).map((b) => (b === null ? NaN : Number(b.toString())));
    const average = await mean(vectors);
    return {
      round,
      final: true,
      members,
      steps,
      absent: Array.from({ length: s.size }, (_, k) => k).filter((k) => !members.includes(k)),
      parameters: average,
      seconds: (performance.now() - started) / 1000,
      bytesSent: parameters.byteLength,
      bytesReceived: vectors.length * parameters.byteLength,
    };
  }
}
