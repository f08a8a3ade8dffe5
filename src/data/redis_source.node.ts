// Node-only: rows from a Redis stream, read by one consumer of a consumer group (XREADGROUP), acknowledged
// (XACK) only once a checkpoint holding their effect is on disk — at-least-once delivery, nothing lost.
//
// A pass first takes back this consumer's own pending entries (a restarted trainer: XREADGROUP from id 0),
// then reads new ones (XREADGROUP >, BLOCK), and every claim-after/4 claims the entries any consumer has left
// unacknowledged for claim-after (a dead trainer: XAUTOCLAIM). Entries delivered but not yet acknowledged —
// rows in the shuffle window, or trained but not yet checkpointed — are kept alive: every keep-alive their idle
// time is reset (XCLAIM … JUSTID), so nobody else claims them. An entry delivered more than max-deliveries
// times (one that keeps crashing its trainers) is moved to `<stream>:dead` and acknowledged.
import { checkpointedRowsOf, type AcknowledgingSource } from './acknowledging_source.ts';
import { RedisConnection } from './redis_connection.node.ts';
import { decodeEntry } from './redis_entry.ts';
import { describeStream, parseRedisConsumerUrl, type RedisConsumerSettings } from './redis_url.ts';
import type { RowBlock } from './row_block.ts';

/** One entry as XREADGROUP / XAUTOCLAIM return it; fields null for an entry deleted since it was delivered. */
interface RawEntry {
  id: string;
  fields: Buffer[] | null;
}

/**
 * What checkpointState() returns: the unacknowledged entries the checkpoint covers, each with the numbers of its
 * first row and just past its last.
 */
export interface RedisSourceState {
  stream: string;
  group: string;
  entries: [id: string, start: number, end: number][];
}

/** Counts since the source was made, for progress and for the tests. */
export interface RedisSourceStats {
  /** Entries and rows handed to the pipeline. */
  entries: number;
  rows: number;
  /** Entries taken over from other consumers (XAUTOCLAIM). */
  claimed: number;
  /** Entries moved to the dead-letter stream. */
  deadLettered: number;
  /** Entries acknowledged. */
  acknowledged: number;
  /** Entries pending for this consumer whose data had been deleted from the stream (acknowledged, no rows). */
  deleted: number;
}

/** Entries per XACK / XCLAIM command. */
const IDS_PER_COMMAND = 1000;

/** Reads `[[key, [[id, fields], …]]]` (XREADGROUP's reply) or `[[id, fields], …]` into entries. */
function entriesOf(reply: unknown): RawEntry[] {
  const list = reply as [Buffer, Buffer[] | null][];
  return list.map(([id, fields]) => ({ id: id.toString(), fields }));
}

function readGroupReply(reply: unknown): RawEntry[] {
  if (reply === null) return [];
  const [[, entries]] = reply as [Buffer, unknown][];
  return entriesOf(entries);
}

/** The rows of a Redis stream for a training run; see the file's header. */
export class RedisStreamSource implements AcknowledgingSource {
  readonly name: string;
  readonly settings: RedisConsumerSettings;
  private readonly counts: RedisSourceStats = { entries: 0, rows: 0, claimed: 0, deadLettered: 0, acknowledged: 0, deleted: 0 };
  private commandConnection: RedisConnection | null = null;
  /** The entries this pass delivered and nobody acknowledged yet, in delivery order: id → its rows' numbers [start, end). */
  private log = new Map<string, [start: number, end: number]>();
  /** Rows numbered so far in this pass (the numbering of acknowledging_source.ts, restarted by each pass). */
  private delivered = 0;
  private passOpen = false;
  private D: number | null = null;
  private keepAlive: ReturnType<typeof setInterval> | null = null;
  private keepingAlive: Promise<void> = Promise.resolve();
  private resumed: Promise<void> = Promise.resolve();
  private groupReady: Promise<void> | null = null;
  private closed = false;

  constructor(settings: RedisConsumerSettings) {
    this.settings = settings;
    this.name = describeStream(settings);
  }

  get stats(): Readonly<RedisSourceStats> {
    return this.counts;
  }

  /** Entries delivered and not yet acknowledged. */
  get unacknowledged(): number {
    return this.log.size;
  }

  async *open(): AsyncGenerator<RowBlock> {
    if (this.closed) throw new Error(`${this.name}: the source is closed`);
    if (this.passOpen) throw new Error(`${this.name}: a pass is already open; a stream source is read by one pass at a time`);
    this.passOpen = true;
    // A new pass delivers again whatever earlier passes delivered and nobody acknowledged: a pass that was broken
    // off (or whose window was dropped) left rows untrained. They come back first, as this consumer's pending.
    this.log = new Map();
    this.delivered = 0;
    const s = this.settings;
    const reader = new RedisConnection(s, `reader-${s.consumer}`);
    try {
      await this.resumed;
      await this.ensureGroup();
      this.startKeepAlive();
      // 1. Our own pending entries first: delivered to this consumer before a restart, never acknowledged. One
      // at a time: each read counts as a delivery, and a trainer that dies on one entry must not add a delivery
      // to the entries after it (they would reach max-deliveries with the bad one).
      let after = '0';
      for (;;) {
        const entries = readGroupReply(await reader.send('XREADGROUP', 'GROUP', s.group, s.consumer, 'COUNT', 1, 'STREAMS', s.stream, after));
        if (entries.length === 0) break;
        after = entries[entries.length - 1].id;
        yield* this.deliver(entries, await this.deliveryCounts(entries));
      }
      // 2. New entries, and now and then the entries of consumers that stopped acknowledging.
      let lastClaim = -Infinity;
      let lastEntry = performance.now();
      for (;;) {
        let got = 0;
        if (performance.now() - lastClaim >= s.claimAfterMs / 4) {
          lastClaim = performance.now();
          let cursor = '0-0';
          do {
            const [next, claimedReply] = (await this.commands().send('XAUTOCLAIM', s.stream, s.group, s.consumer, s.claimAfterMs, cursor, 'COUNT', s.count)) as [Buffer, unknown];
            cursor = next.toString();
            const claimed = entriesOf(claimedReply).filter((e) => !this.log.has(e.id));
            this.counts.claimed += claimed.length;
            got += claimed.length;
            yield* this.deliver(claimed, await this.deliveryCounts(claimed));
          } while (cursor !== '0-0');
        }
        const fresh = readGroupReply(await reader.send('XREADGROUP', 'GROUP', s.group, s.consumer, 'COUNT', s.count, 'BLOCK', s.blockMs, 'STREAMS', s.stream, '>'));
        got += fresh.length;
        yield* this.deliver(fresh, fresh.map(() => 1));
        if (got > 0) lastEntry = performance.now();
        else if (s.endAfterIdleMs !== null && performance.now() - lastEntry >= s.endAfterIdleMs) return;
      }
    } finally {
      reader.disconnect();
      this.passOpen = false;
    }
  }

  /**
   * The unacknowledged entries, or with `rowsConsumed` (and `trainedAbove`) only those the checkpoint lets it
   * acknowledge: every row below the mark or trained above it.
   */
  checkpointState(rowsConsumed = Infinity, trainedAbove: readonly number[] = []): RedisSourceState {
    const covered = coverage(rowsConsumed, trainedAbove);
    const entries = [...this.log].filter(([, [start, end]]) => covered(start, end)).map(([id, [start, end]]): [string, number, number] => [id, start, end]);
    return { stream: this.settings.stream, group: this.settings.group, entries };
  }

  /** Acknowledges the entries of the checkpoint's state whose rows all lie below its rowsConsumed. */
  async checkpointed(state: unknown): Promise<void> {
    const ids = this.checkpointedIds(state);
    await this.acknowledge(ids);
    for (const id of ids) this.log.delete(id);
  }

  /** Finishes the acknowledgement of the checkpoint being resumed (the run may have stopped before it could). */
  resumeFrom(state: unknown): Promise<void> {
    this.resumed = this.checkpointed(state);
    return this.resumed;
  }

  private checkpointedIds(state: unknown): string[] {
    const { rowsConsumed, trainedAbove, source } = checkpointedRowsOf(state, this.name);
    const saved = source as Partial<RedisSourceState> | null;
    if (saved === null || typeof saved !== 'object' || !Array.isArray(saved.entries)) {
      throw new Error(`${this.name}: the checkpoint's source state is not this source's (expected { stream, group, entries }), got ${JSON.stringify(source)?.slice(0, 200)}`);
    }
    if (saved.stream !== this.settings.stream || saved.group !== this.settings.group) {
      throw new Error(`${this.name}: the checkpoint was trained from stream '${saved.stream}' group '${saved.group}', not stream '${this.settings.stream}' group '${this.settings.group}'`);
    }
    const covered = coverage(rowsConsumed, trainedAbove ?? []);
    return saved.entries.filter(([, start, end]) => covered(start, end)).map(([id]) => id);
  }

  /** Stops keeping entries alive and closes the connection; unacknowledged entries stay pending. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.keepAlive !== null) clearInterval(this.keepAlive);
    this.keepAlive = null;
    await this.keepingAlive;
    await this.commandConnection?.quit();
    this.commandConnection = null;
  }

  /** Like close(), but drops the connection at once, as a crashed process would. */
  abandon(): void {
    this.closed = true;
    if (this.keepAlive !== null) clearInterval(this.keepAlive);
    this.keepAlive = null;
    this.commandConnection?.disconnect();
    this.commandConnection = null;
  }

  private commands(): RedisConnection {
    if (this.closed) throw new Error(`${this.name}: the source is closed`);
    this.commandConnection ??= new RedisConnection(this.settings, `commands-${this.settings.consumer}`);
    return this.commandConnection;
  }

  private ensureGroup(): Promise<void> {
    this.groupReady ??= (async () => {
      try {
        // From id 0: a new group reads what the stream already holds (a producer may start first).
        await this.commands().send('XGROUP', 'CREATE', this.settings.stream, this.settings.group, '0', 'MKSTREAM');
      } catch (error) {
        if (!/BUSYGROUP/.test((error as Error).message)) {
          this.groupReady = null;
          throw error;
        }
      }
    })();
    return this.groupReady;
  }

  /** How often each entry (pending for this consumer) has been delivered, counting this delivery. */
  private async deliveryCounts(entries: RawEntry[]): Promise<number[]> {
    if (entries.length === 0) return [];
    const s = this.settings;
    const replies = await this.commands().pipeline(entries.map((e) => ['XPENDING', s.stream, s.group, e.id, e.id, 1, s.consumer] as [string, ...(string | number)[]]));
    // An entry acknowledged meanwhile has no pending record: it will be skipped as delivered once.
    return replies.map((reply) => {
      const [record] = reply as [Buffer, Buffer, number, number][];
      return record === undefined ? 0 : Number(record[3]);
    });
  }

  private async *deliver(entries: RawEntry[], deliveries: number[]): AsyncGenerator<RowBlock> {
    const s = this.settings;
    for (let i = 0; i < entries.length; i++) {
      const { id, fields } = entries[i];
      if (this.log.has(id) || deliveries[i] === 0) continue;
      if (fields === null) {
        await this.acknowledge([id]);
        this.counts.deleted++;
        continue;
      }
      if (deliveries[i] > s.maxDeliveries) {
        await this.commands().transaction([
          ['XADD', `${s.stream}:dead`, '*', ...fields, 'source-id', id, 'deliveries', deliveries[i], 'consumer', s.consumer],
          ['XACK', s.stream, s.group, id],
        ]);
        this.counts.deadLettered++;
        this.counts.acknowledged++;
        continue;
      }
      // A bad entry throws here and stays pending: each restart delivers it again, until it is dead-lettered.
      const block = decodeEntry(this.name, id, fields, this.D);
      this.D = block.D;
      this.log.set(id, [this.delivered, this.delivered + block.rows]);
      this.delivered += block.rows;
      this.counts.entries++;
      this.counts.rows += block.rows;
      yield block;
    }
  }

  private async acknowledge(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const chunks: [string, ...string[]][] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_COMMAND) chunks.push(['XACK', this.settings.stream, this.settings.group, ...ids.slice(i, i + IDS_PER_COMMAND)]);
    await this.commands().pipeline(chunks);
    this.counts.acknowledged += ids.length;
  }

  private startKeepAlive(): void {
    if (this.keepAlive !== null) return;
    this.keepAlive = setInterval(() => {
      if (this.unacknowledged === 0) return;
      this.keepingAlive = this.resetIdle().catch((error: Error) => {
        // Not fatal: the next round tries again; if all fail for claim-after, others claim the entries (at-least-once).
        console.error(`aevb: keeping entries alive failed: ${error.message}`);
      });
    }, this.settings.keepAliveMs);
    this.keepAlive.unref();
  }

  private async resetIdle(): Promise<void> {
    const s = this.settings;
    const ids = [...this.log.keys()];
    const chunks: [string, ...string[]][] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_COMMAND) chunks.push(['XCLAIM', s.stream, s.group, s.consumer, '0', ...ids.slice(i, i + IDS_PER_COMMAND), 'JUSTID']);
    await this.commands().pipeline(chunks);
  }
}

/** A Redis stream source from `redis://host:port/stream?group=G&consumer=NAME&…` (see redis_url.ts). */
/** Whether rows [start, end) all lie below `mark` or among `above` (ascending). */
function coverage(mark: number, above: readonly number[]): (start: number, end: number) => boolean {
  const trained = new Set(above);
  return (start, end) => {
    for (let row = Math.max(start, mark); row < end; row++) if (!trained.has(row)) return false;
    return true;
  };
}

export function redisSource(url: string | RedisConsumerSettings): RedisStreamSource {
  return new RedisStreamSource(typeof url === 'string' ? parseRedisConsumerUrl(url) : url);
}

