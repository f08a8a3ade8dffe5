// Node-only: rows from a Redis stream, read by one consumer of a consumer group (XREADGROUP), acknowledged
// (XACK) only once a checkpoint holding their effect is on disk — at-least-once delivery, nothing lost.
//
// A pass first takes back this consumer's own pending entries (a restarted trainer: XREADGROUP from id 0),
// then reads new ones (XREADGROUP >, BLOCK), and every claim-after/4 claims the entries any consumer has left
// unacknowledged for claim-after (a dead trainer: XAUTOCLAIM). Entries delivered but not yet acknowledged —
// rows in the shuffle window, or trained but not yet checkpointed — are kept alive: every keep-alive their idle
// time is reset (XCLAIM … JUSTID), so nobody else claims them. A lost connection is retried (reconnect-for);
// once it is back the pass takes back its own pending entries again, since a reply lost with the connection left
// its entries pending for this consumer and delivered to nobody.
//
// Dead letters count failures, not deliveries: Redis counts a delivery at every read of a pending entry, so a
// restart, a probe or a claim would push healthy entries over any limit. An entry whose processing fails (it does
// not decode: a missing field, a partial row, a value outside [0, 1] …) has the failure counted in the hash
// `{<stream>}:failures` (field `<group>/<id>`) and stops the pass, naming it; the max-deliveries-th failure moves it
// to `{<stream>}:dead` (its fields, plus source-id, group, consumer, failures and error), acknowledges it and the
// pass goes on. Every dead letter is reported (onDeadLetter, else stderr); `aevb publish --from
// redis://…/{<stream>}:dead --to redis://…/<stream>` re-drives them. Every key beside the stream carries the
// stream's name as Redis Cluster hash tag (keyPrefixOf), so the dead-letter transaction runs on one slot.
//
// Acknowledgement is row-exact: an entry packs many rows, and through a shuffle window its rows are trained far
// apart, so a checkpoint often holds some rows of an entry and not others. Once a checkpoint is on disk, the
// entries whose rows it all holds are acknowledged (XACK), and for each entry it holds only some rows of, the
// trained rows are recorded as a bitmap (trained_rows.ts) in the group's hash `{<stream>}:trained:<group>`
// (field: the entry's id; the stream's name as hash tag, so the hash lives on the stream's slot in a Redis
// Cluster). An entry delivered again — this consumer's own pending entries after a restart, or a dead
// consumer's, claimed — delivers only the rows its bitmap does not hold (none: it is acknowledged at once), so a
// crash trains again only what was trained after the last checkpoint. The pass numbers the rows it delivers, and
// the source keeps, per entry, which of the entry's rows each number stands for. Bitmaps go with their entry's
// acknowledgement (HDEL); every bit set is a row some checkpoint holds, so a bitmap overwritten by another
// consumer's (a claim) only means rows trained again, never a row skipped. A group deleted and made again should
// have its hash deleted too (DEL), or the new group's redeliveries would skip the old group's trained rows.
import { checkpointedRowsOf, type AcknowledgingSource } from './acknowledging_source.ts';
import { RedisConnection } from './redis_connection.node.ts';
import { decodeEntry, StreamEntryError } from './redis_entry.ts';
import {
  CLAIM_SCAN_FRACTION,
  claimBeforeEnd,
  describeStream,
  keyPrefixOf,
  parseRedisConsumerUrl,
  type RedisConsumerSettings,
} from './redis_url.ts';
import type { RowBlock } from './row_block.ts';
import {
  markTrained,
  noRowsTrained,
  storedTrainedRows,
  trainedCount,
  trainedRowsFromBase64,
  trainedRowsToBase64,
  untrainedRows,
} from './trained_rows.ts';

/** What a source reports when it moves an entry to the dead-letter stream. */
export interface DeadLetter {
  /** The stream (URL without password), its key and the entry's id there. */
  stream: string;
  streamKey: string;
  id: string;
  /** The dead-letter stream's key and the copy's id there. */
  deadStream: string;
  deadId: string;
  group: string;
  consumer: string;
  /** Times its processing failed (max-deliveries). */
  failures: number;
  /** Why, the last time. */
  error: string;
}

/**
 * The dead-letter stream of a stream: `{mnist}:dead` for `mnist` (keyPrefixOf: the stream's name as Redis Cluster
 * hash tag, so the dead-letter transaction stays on one slot). Before the hash tags it was `mnist:dead`
 * (LEGACY_DEAD_STREAM_OF); such a stream is left as it is, and re-driven the same way.
 */
export const deadStreamOf = (stream: string) => `${keyPrefixOf(stream)}:dead`;
/** The dead-letter stream's name before the hash tags (aevb ≤ issue 21): still read by the counts and re-drivable. */
export const legacyDeadStreamOf = (stream: string) => `${stream}:dead`;
/** The hash counting each entry's failed processings, per group (`{mnist}:failures`; `mnist:failures` before the hash tags). */
const failuresKeyOf = (stream: string) => `${keyPrefixOf(stream)}:failures`;
const legacyFailuresKeyOf = (stream: string) => `${stream}:failures`;
/**
 * The hash of a group's partly trained entries (entry id → bitmap of the rows a checkpoint holds), on the
 * stream's slot: `{mnist}:trained:g` for stream `mnist` (keyPrefixOf).
 */
export function trainedKeyOf(stream: string, group: string): string {
  return `${keyPrefixOf(stream)}:trained:${group}`;
}
/** The fields a dead letter adds to the entry's own; a re-drive takes them off again. */
export const DEAD_LETTER_FIELDS = ['source-id', 'group', 'consumer', 'failures', 'error'] as const;

/** One line for people about a dead letter, with the command that re-drives it. */
export function deadLetterLine(d: DeadLetter): string {
  // d.stream is the server's URL, '/', the stream's key; the dead-letter stream is on the same server.
  const server = d.stream.slice(0, d.stream.length - d.streamKey.length - 1);
  const key = d.streamKey;
  return (
    `aevb: ${d.stream}: entry ${d.id} moved to ${d.deadStream} (as ${d.deadId}) after ` +
    `${d.failures} failed ${d.failures === 1 ? 'delivery' : 'deliveries'}: ${d.error}` +
    ` — re-drive with: aevb publish --from ${server}/${d.deadStream} --to ${server}/${key}`
  );
}

/** One entry as XREADGROUP / XAUTOCLAIM return it; fields null for an entry deleted since it was delivered. */
interface RawEntry {
  id: string;
  fields: Buffer[] | null;
}

/**
 * What checkpointState() returns: the entries whose rows the checkpoint holds, all of them (to acknowledge) or
 * some (to record), each only if the checkpoint adds rows to what is recorded already.
 */
export interface RedisSourceState {
  stream: string;
  group: string;
  /** Entries whose rows are all in the checkpoint (or in an earlier one): XACK, and their bitmap deleted. */
  acknowledge: string[];
  /** Entries with some rows in the checkpoint: the entry's rows and the bitmap of those trained (base64), for the trained-rows hash. */
  partial: [id: string, rows: number, trained: string][];
}

/** The state checkpoints held before acknowledgement was row-exact: entries with their rows' numbers [start, end). */
interface LegacyRedisSourceState {
  stream: string;
  group: string;
  entries: [id: string, start: number, end: number][];
}

/** An entry this pass delivered and nobody acknowledged yet. */
interface Delivery {
  /** The number of the first row delivered (the pass's numbering). */
  start: number;
  /** Rows in the entry. */
  rows: number;
  /** The entry's rows that were delivered, in delivery order (row start + k is row picked[k]); null: all of them, in order. */
  picked: Uint32Array | null;
  /** The rows the trained-rows hash holds for it, as far as this source knows (null: none). */
  recorded: Uint8Array | null;
}

/** Options besides the URL. */
export interface RedisSourceOptions {
  /** The password, when the URL has none (the CLI's REDIS_PASSWORD or --redis-password-file). */
  password?: string;
}

/** Counts since the source was made, for progress and for the tests. */
export interface RedisSourceStats {
  /** Entries and rows handed to the pipeline. */
  entries: number;
  rows: number;
  /** Entries taken over from other consumers (XAUTOCLAIM). */
  claimed: number;
  /** Entries moved to the dead-letter stream (their processing failed max-deliveries times). */
  deadLettered: number;
  /** Failed processings counted (each stopped a pass, or moved its entry to the dead-letter stream). */
  failures: number;
  /** Entries acknowledged. */
  acknowledged: number;
  /** Entries pending for this consumer whose data had been deleted from the stream (acknowledged, no rows). */
  deleted: number;
  /** Bitmaps of partly trained entries written to the trained-rows hash. */
  partlyTrained: number;
  /** Rows of entries delivered again that were not delivered, a checkpoint holding them already. */
  rowsSkipped: number;
}

/**
 * Where the group and this consumer stand in the stream, as Redis has it now (standing(): XINFO GROUPS, XINFO
 * CONSUMERS and XLEN in one pipelined round trip, all on the stream's slot).
 */
export interface RedisStreamStanding {
  /**
   * Entries of the stream not yet delivered to the group (XINFO GROUPS' `lag`, Redis ≥ 7.0); null where Redis
   * cannot say (a server before 7.0, or entries deleted between the group's position and the stream's end).
   */
  lag: number | null;
  /** Entries delivered to the group and not yet acknowledged, all its consumers together. */
  groupPending: number;
  /** Of them, this consumer's. */
  pending: number;
  /** Entries in the dead-letter stream `{<stream>}:dead` (every group's, since it was made or last re-driven). */
  deadLetters: number;
}

/** A flat [name, value, …] reply (XINFO) as a map of names to values. */
function fieldsOf(reply: unknown[]): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1]);
  return fields;
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
  private readonly counts: RedisSourceStats = {
    entries: 0,
    rows: 0,
    claimed: 0,
    deadLettered: 0,
    failures: 0,
    acknowledged: 0,
    deleted: 0,
    partlyTrained: 0,
    rowsSkipped: 0,
  };
  private commandConnection: RedisConnection | null = null;
  /** The open pass's blocking reader and a running rowLength()'s connection: close() cuts them. */
  private reader: RedisConnection | null = null;
  private probe: RedisConnection | null = null;
  private readonly deadLetterListeners = new Set<(d: DeadLetter) => void>();
  /** The entries this pass delivered and nobody acknowledged yet, in delivery order. */
  private log = new Map<string, Delivery>();
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

  /**
   * The group's lag and pending entries, this consumer's pending entries and the dead letters, from Redis: one
   * pipelined round trip, for a report every few seconds (never per step). Before the group exists, it fails.
   */
  async standing(): Promise<RedisStreamStanding> {
    const s = this.settings;
    const [groups, consumers, dead] = (await this.commands().pipeline([
      ['XINFO', 'GROUPS', s.stream],
      ['XINFO', 'CONSUMERS', s.stream, s.group],
      ['XLEN', deadStreamOf(s.stream)],
    ])) as [unknown[][], unknown[][], number];
    const group = groups.map(fieldsOf).find((g) => String(g.get('name')) === s.group);
    if (group === undefined) throw new Error(`${this.name}: XINFO GROUPS lists no group '${s.group}'`);
    const me = consumers.map(fieldsOf).find((c) => String(c.get('name')) === s.consumer);
    const lag = group.get('lag');
    return {
      lag: lag === null || lag === undefined ? null : Number(lag),
      groupPending: Number(group.get('pending') ?? 0),
      pending: Number(me?.get('pending') ?? 0),
      deadLetters: Number(dead),
    };
  }

  /** Entries delivered and not yet acknowledged. */
  get unacknowledged(): number {
    return this.log.size;
  }

  /**
   * Calls `listener` for every entry moved to the dead-letter stream; returns the way to stop. With no listener,
   * each dead letter is printed on stderr: it is never silent.
   */
  onDeadLetter(listener: (d: DeadLetter) => void): () => void {
    this.deadLetterListeners.add(listener);
    return () => this.deadLetterListeners.delete(listener);
  }

  /**
   * D, the values per row, read without taking anything from the group (XRANGE and XREAD: no delivery, no entry
   * pending): from the group's oldest pending entry, else its next undelivered one, waiting for one while the
   * stream has none (until end-after-idle: then "holds no rows"). Entries that do not decode are passed over here
   * (a pass reports them). Rows delivered afterwards must have this D.
   */
  async rowLength(): Promise<number> {
    if (this.D !== null) return this.D;
    if (this.closed) throw new Error(`${this.name}: the source is closed`);
    const s = this.settings;
    await this.resumed;
    await this.ensureGroup();
    const probe = new RedisConnection(s, `probe-${s.consumer}`);
    this.probe = probe;
    try {
      const [oldest] = (await probe.send('XPENDING', s.stream, s.group, '-', '+', 1)) as [Buffer, ...unknown[]][];
      let from = oldest !== undefined ? oldest[0].toString() : await lastDeliveredId(probe, s.stream, s.group);
      let inclusive = oldest !== undefined;
      let lastEntry = performance.now();
      for (;;) {
        const entries = entriesOf(
          await probe.send('XRANGE', s.stream, inclusive ? from : `(${from}`, '+', 'COUNT', s.count),
        );
        for (const { id, fields } of entries) {
          if (fields === null) continue;
          try {
            this.D = decodeEntry(this.name, id, fields, null).D;
            return this.D;
          } catch (error) {
            if (!(error instanceof StreamEntryError)) throw error;
          }
        }
        if (entries.length > 0) {
          from = entries[entries.length - 1].id;
          inclusive = false;
          lastEntry = performance.now();
          continue;
        }
        const idle = performance.now() - lastEntry;
        if (s.endAfterIdleMs !== null && idle >= s.endAfterIdleMs) {
          throw new Error(
            `${this.name}: holds no rows (no entry of group '${s.group}' to read within end-after-idle, ${s.endAfterIdleMs} ms)`,
          );
        }
        const wait =
          s.endAfterIdleMs === null ? s.blockMs : Math.max(1, Math.min(s.blockMs, Math.ceil(s.endAfterIdleMs - idle)));
        await probe.send('XREAD', 'COUNT', 1, 'BLOCK', wait, 'STREAMS', s.stream, from);
      }
    } catch (error) {
      if (this.closed)
        throw new Error(`${this.name}: the source was closed while its row length was read`, { cause: error });
      throw error;
    } finally {
      probe.disconnect();
      this.probe = null;
    }
  }

  async *open(): AsyncGenerator<RowBlock> {
    if (this.closed) throw new Error(`${this.name}: the source is closed`);
    if (this.passOpen)
      throw new Error(`${this.name}: a pass is already open; a stream source is read by one pass at a time`);
    this.passOpen = true;
    // A new pass delivers again whatever earlier passes delivered and nobody acknowledged: a pass that was broken
    // off (or whose window was dropped) left rows untrained. They come back first, as this consumer's pending.
    this.log = new Map();
    this.delivered = 0;
    const s = this.settings;
    const reader = new RedisConnection(s, `reader-${s.consumer}`);
    this.reader = reader;
    try {
      await this.resumed;
      await this.ensureGroup();
      this.startKeepAlive();
      // 1. Our own pending entries first: delivered to this consumer before a restart, never acknowledged. Redis
      // counts each read as a delivery; nothing here does (only failures count: see the file's header).
      yield* this.ownPending(reader);
      let reconnects = reader.reconnects;
      // 2. New entries, and now and then the entries of consumers that stopped acknowledging.
      let lastClaim = -Infinity;
      let lastEntry = performance.now();
      for (;;) {
        let got = 0;
        if (performance.now() - lastClaim >= s.claimAfterMs * CLAIM_SCAN_FRACTION) {
          lastClaim = performance.now();
          let cursor = '0-0';
          do {
            const [next, claimedReply] = (await this.commands().send(
              'XAUTOCLAIM',
              s.stream,
              s.group,
              s.consumer,
              s.claimAfterMs,
              cursor,
              'COUNT',
              s.count,
            )) as [Buffer, unknown];
            cursor = next.toString();
            const claimed = entriesOf(claimedReply).filter((e) => !this.log.has(e.id));
            this.counts.claimed += claimed.length;
            got += claimed.length;
            yield* this.deliver(claimed, true);
          } while (cursor !== '0-0');
        }
        const fresh = readGroupReply(
          await reader.send(
            'XREADGROUP',
            'GROUP',
            s.group,
            s.consumer,
            'COUNT',
            s.count,
            'BLOCK',
            s.blockMs,
            'STREAMS',
            s.stream,
            '>',
          ),
        );
        got += fresh.length;
        yield* this.deliver(fresh);
        if (reader.reconnects !== reconnects) {
          // The connection was lost and is back: a read whose reply was lost left its entries pending for us.
          reconnects = reader.reconnects;
          got += yield* this.ownPending(reader);
        }
        if (got > 0) lastEntry = performance.now();
        else if (s.endAfterIdleMs !== null && performance.now() - lastEntry >= s.endAfterIdleMs) {
          await this.warnOfUnclaimed();
          return;
        }
        // A read that waited `block` ms for nothing: the rows held back downstream (the shuffle window) go on.
        else if (got === 0 && this.D !== null)
          yield { values: new Uint8Array(0), rows: 0, D: this.D, scale: 1, idle: true };
      }
    } catch (error) {
      // close() cut the connection under a read: say that, not "Connection is closed".
      if (this.closed) throw new Error(`${this.name}: the source was closed during a pass`, { cause: error });
      throw error;
    } finally {
      reader.disconnect();
      this.reader = null;
      this.passOpen = false;
    }
  }

  /** This consumer's pending entries not yet in this pass (XREADGROUP from id 0), delivered; resolves to their number. */
  private async *ownPending(reader: RedisConnection): AsyncGenerator<RowBlock, number> {
    const s = this.settings;
    let after = '0';
    let taken = 0;
    for (;;) {
      const entries = readGroupReply(
        await reader.send('XREADGROUP', 'GROUP', s.group, s.consumer, 'COUNT', s.count, 'STREAMS', s.stream, after),
      );
      if (entries.length === 0) return taken;
      after = entries[entries.length - 1].id;
      const fresh = entries.filter((e) => !this.log.has(e.id));
      taken += fresh.length;
      yield* this.deliver(fresh, true);
    }
  }

  /**
   * What a checkpoint holding the rows below `rowsConsumed` and those in `trainedAbove` (the low-water mark and
   * the rows trained above it: acknowledging_source.ts) lets the source acknowledge and record; without a mark,
   * every delivered row.
   */
  checkpointState(rowsConsumed = Infinity, trainedAbove: readonly number[] = []): RedisSourceState {
    const above = new Set(trainedAbove);
    const acknowledge: string[] = [];
    const partial: [string, number, string][] = [];
    for (const [id, d] of this.log) {
      const delivered = d.picked?.length ?? d.rows;
      let bits: Uint8Array | null = null;
      for (let k = 0; k < delivered; k++) {
        const number = d.start + k;
        if (number >= rowsConsumed && !above.has(number)) continue;
        bits ??= d.recorded?.slice() ?? noRowsTrained(d.rows);
        markTrained(bits, d.picked === null ? k : d.picked[k]);
      }
      if (bits === null) continue;
      const trained = trainedCount(bits, d.rows);
      if (trained === d.rows) acknowledge.push(id);
      else if (d.recorded === null || trained > trainedCount(d.recorded, d.rows))
        partial.push([id, d.rows, trainedRowsToBase64(bits)]);
    }
    return { stream: this.settings.stream, group: this.settings.group, acknowledge, partial };
  }

  /** Acknowledges the entries the checkpoint's state holds all rows of, and records the rows of those it holds some of. */
  async checkpointed(state: unknown): Promise<void> {
    const { acknowledge, partial } = this.checkpointedEntries(state);
    await this.record(acknowledge, partial);
    for (const id of acknowledge) this.log.delete(id);
    for (const [id, rows, trained] of partial) {
      const d = this.log.get(id);
      if (d !== undefined && d.rows === rows) d.recorded = trainedRowsFromBase64(trained);
    }
  }

  /** Finishes the acknowledgement of the checkpoint being resumed (the run may have stopped before it could). */
  resumeFrom(state: unknown): Promise<void> {
    this.resumed = this.checkpointed(state);
    return this.resumed;
  }

  private checkpointedEntries(state: unknown): Pick<RedisSourceState, 'acknowledge' | 'partial'> {
    const { rowsConsumed, trainedAbove, source } = checkpointedRowsOf(state, this.name);
    const saved = source as Partial<RedisSourceState & LegacyRedisSourceState> | null;
    const expected = `(expected { stream, group, acknowledge: [id, …], partial: [[id, rows, bitmap], …] })`;
    if (
      saved === null ||
      typeof saved !== 'object' ||
      !(Array.isArray(saved.entries) || (Array.isArray(saved.acknowledge) && Array.isArray(saved.partial)))
    ) {
      throw new Error(
        `${this.name}: the checkpoint's source state is not this source's ${expected}, got ${JSON.stringify(source)?.slice(0, 200)}`,
      );
    }
    if (saved.stream !== this.settings.stream || saved.group !== this.settings.group) {
      throw new Error(
        `${this.name}: the checkpoint was trained from stream '${saved.stream}' group ` +
          `'${saved.group}', not stream '${this.settings.stream}' group '${this.settings.group}'`,
      );
    }
    if (saved.acknowledge === undefined) {
      // A checkpoint of an earlier version: entries by their rows' numbers, acknowledged once all are covered.
      const covered = coverage(rowsConsumed, trainedAbove ?? []);
      return {
        acknowledge: saved.entries!.filter(([, start, end]) => covered(start, end)).map(([id]) => id),
        partial: [],
      };
    }
    const partial = saved.partial!;
    const bad =
      saved.acknowledge.find((id) => typeof id !== 'string') ??
      partial.find(
        (p) =>
          !(
            Array.isArray(p) &&
            typeof p[0] === 'string' &&
            Number.isSafeInteger(p[1]) &&
            p[1] > 0 &&
            typeof p[2] === 'string' &&
            p[2].length === 4 * Math.ceil(Math.ceil(p[1] / 8) / 3)
          ),
      );
    if (bad !== undefined)
      throw new Error(
        `${this.name}: the checkpoint's source state holds ${JSON.stringify(bad)?.slice(0, 200)} ${expected}`,
      );
    return { acknowledge: saved.acknowledge, partial };
  }

  /**
   * Stops keeping entries alive and closes the connections; unacknowledged entries stay pending. A pass blocked
   * in a read ends at once (with an error saying the source was closed), and so does a rowLength() waiting for an
   * entry: a stop never waits out a blocking read. Calling it again does nothing.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.keepAlive !== null) clearInterval(this.keepAlive);
    this.keepAlive = null;
    this.reader?.disconnect();
    this.probe?.disconnect();
    const commands = this.commandConnection;
    this.commandConnection = null;
    // A connection in an outage would hold the last keep-alive until it is back: drop it instead.
    if (commands !== null && !commands.ready) commands.disconnect();
    await this.keepingAlive;
    await commands?.quit();
  }

  /** Like close(), but drops the connections at once, as a crashed process would. */
  abandon(): void {
    this.closed = true;
    if (this.keepAlive !== null) clearInterval(this.keepAlive);
    this.keepAlive = null;
    this.reader?.disconnect();
    this.probe?.disconnect();
    this.commandConnection?.disconnect();
    this.commandConnection = null;
  }

  /**
   * At a pass's end by end-after-idle shorter than CLAIM_MARGIN × claim-after: when other consumers still hold
   * pending entries, says so on stderr with what to change — one of them may be dead, and its entries would be
   * claimed only after this pass ended (left pending, untrained, with an exit status 0). Silent otherwise: a lone
   * consumer, or one whose settings claim in time.
   */
  private async warnOfUnclaimed(): Promise<void> {
    const s = this.settings;
    const advice = claimBeforeEnd(s);
    if (advice === null) return;
    const [, , , consumers] = (await this.commands().send('XPENDING', s.stream, s.group)) as [
      number,
      unknown,
      unknown,
      [Buffer, Buffer][] | null,
    ];
    const others = (consumers ?? [])
      .map(([name, count]) => [name.toString(), Number(count.toString())] as const)
      .filter(([name]) => name !== s.consumer);
    if (others.length === 0) return;
    const entries = others.reduce((n, [, count]) => n + count, 0);
    console.error(
      `aevb: ${this.name}: the pass ends after end-after-idle with ${entries} ${entries === 1 ? 'entry' : 'entries'} ` +
        `pending for other consumers (${others.map(([name, count]) => `${name}: ${count}`).join(', ')}); should one ` +
        `be dead, its entries are claimed only once idle for claim-after, after this pass has ended: ${advice}`,
    );
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

  /**
   * Decodes and yields entries not yet in this pass. Entries `redelivered` (pending before: our own, or claimed)
   * deliver only the rows no checkpoint holds (the trained-rows hash); one whose rows all are is acknowledged.
   */
  private async *deliver(entries: RawEntry[], redelivered = false): AsyncGenerator<RowBlock> {
    const stored = redelivered
      ? await this.storedTrainedRows(entries.filter((e) => e.fields !== null && !this.log.has(e.id)).map((e) => e.id))
      : null;
    for (const { id, fields } of entries) {
      if (this.log.has(id)) continue;
      if (fields === null) {
        await this.acknowledge([id]);
        this.counts.deleted++;
        continue;
      }
      let block: RowBlock;
      try {
        block = decodeEntry(this.name, id, fields, this.D);
      } catch (error) {
        if (!(error instanceof StreamEntryError)) throw error;
        if (await this.failed(id, fields, error)) continue;
        // The entry stays pending: the next pass (this trainer restarted, or one that claims it) tries it again.
        throw error;
      }
      this.D = block.D;
      const rows = block.rows;
      let recorded: Uint8Array | null = null;
      try {
        recorded = storedTrainedRows(
          stored?.get(id) ?? null,
          rows,
          `${this.name}: entry ${id}: ${trainedKeyOf(this.settings.stream, this.settings.group)}`,
        );
      } catch (error) {
        // Trained again rather than skipped: the bitmap cannot be read.
        console.error(`aevb: ${(error as Error).message}; all its rows are delivered again`);
      }
      let picked: Uint32Array | null = null;
      if (recorded !== null && trainedCount(recorded, rows) > 0) {
        picked = untrainedRows(recorded, rows);
        this.counts.rowsSkipped += rows - picked.length;
        if (picked.length === 0) {
          await this.acknowledge([id]);
          continue;
        }
        block = pickRows(block, picked);
      }
      this.log.set(id, { start: this.delivered, rows, picked, recorded });
      this.delivered += block.rows;
      this.counts.entries++;
      this.counts.rows += block.rows;
      yield block;
    }
  }

  /** The trained-rows bitmaps of entries `ids` (HMGET): id → its bitmap, for those that have one. */
  private async storedTrainedRows(ids: string[]): Promise<Map<string, Uint8Array>> {
    const found = new Map<string, Uint8Array>();
    if (ids.length === 0) return found;
    const values = (await this.commands().send(
      'HMGET',
      trainedKeyOf(this.settings.stream, this.settings.group),
      ...ids,
    )) as (Buffer | null)[];
    values.forEach((v, i) => {
      if (v !== null) found.set(ids[i], v);
    });
    return found;
  }

  /**
   * Counts a failed processing of entry `id`. At the max-deliveries-th failure the entry moves to the dead-letter
   * stream, acknowledged (true: the pass goes on); before, the error is told how many failures remain (false).
   */
  private async failed(id: string, fields: Buffer[], error: StreamEntryError): Promise<boolean> {
    const s = this.settings;
    const field = `${s.group}/${id}`;
    // A count kept under the name before the hash tags (`<stream>:failures`) still counts; read apart from the
    // new hash, since on a cluster the two are on different slots.
    const legacy = Number(
      ((await this.commands().send('HGET', legacyFailuresKeyOf(s.stream), field)) as Buffer | null)?.toString() ?? 0,
    );
    const failures = legacy + Number(await this.commands().send('HINCRBY', failuresKeyOf(s.stream), field, 1));
    this.counts.failures++;
    if (failures < s.maxDeliveries) {
      error.message +=
        ` (failure ${failures} of ${s.maxDeliveries}: the entry stays pending, and its ` +
        `${ordinal(s.maxDeliveries)} failure moves it to ${deadStreamOf(s.stream)}; max-deliveries)`;
      return false;
    }
    const reason = error.message.slice(`${this.name}: entry ${id}: `.length);
    const [deadId] = await this.commands().transaction([
      [
        'XADD',
        deadStreamOf(s.stream),
        '*',
        ...fields,
        'source-id',
        id,
        'group',
        s.group,
        'consumer',
        s.consumer,
        'failures',
        failures,
        'error',
        reason,
      ],
      ['XACK', s.stream, s.group, id],
      ['HDEL', failuresKeyOf(s.stream), field],
    ]);
    if (legacy > 0) await this.commands().send('HDEL', legacyFailuresKeyOf(s.stream), field);
    this.counts.deadLettered++;
    this.counts.acknowledged++;
    const letter: DeadLetter = {
      stream: this.name,
      streamKey: s.stream,
      id,
      deadStream: deadStreamOf(s.stream),
      deadId: String(deadId),
      group: s.group,
      consumer: s.consumer,
      failures,
      error: reason,
    };
    if (this.deadLetterListeners.size === 0) console.error(deadLetterLine(letter));
    for (const listener of this.deadLetterListeners) listener(letter);
    return true;
  }

  private acknowledge(ids: string[]): Promise<void> {
    return this.record(ids, []);
  }

  /**
   * In one round trip: the bitmaps of the partly trained entries into the trained-rows hash (HSET), and the
   * entries `acknowledge` acknowledged (XACK), their bitmaps deleted (HDEL) after the XACK, so a crash between
   * the two leaves at most a bitmap of an acknowledged entry, never an entry pending without its bitmap.
   */
  private async record(
    acknowledge: string[],
    partial: readonly [id: string, rows: number, trained: string][],
  ): Promise<void> {
    if (acknowledge.length === 0 && partial.length === 0) return;
    const s = this.settings;
    const key = trainedKeyOf(s.stream, s.group);
    const commands: [string, ...(string | Buffer)[]][] = [];
    for (let i = 0; i < partial.length; i += IDS_PER_COMMAND) {
      commands.push([
        'HSET',
        key,
        ...partial
          .slice(i, i + IDS_PER_COMMAND)
          .flatMap(([id, , trained]) => [id, Buffer.from(trainedRowsFromBase64(trained))]),
      ]);
    }
    for (let i = 0; i < acknowledge.length; i += IDS_PER_COMMAND)
      commands.push(['XACK', s.stream, s.group, ...acknowledge.slice(i, i + IDS_PER_COMMAND)]);
    for (let i = 0; i < acknowledge.length; i += IDS_PER_COMMAND)
      commands.push(['HDEL', key, ...acknowledge.slice(i, i + IDS_PER_COMMAND)]);
    await this.commands().pipeline(commands);
    this.counts.acknowledged += acknowledge.length;
    this.counts.partlyTrained += partial.length;
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
    for (let i = 0; i < ids.length; i += IDS_PER_COMMAND)
      chunks.push(['XCLAIM', s.stream, s.group, s.consumer, '0', ...ids.slice(i, i + IDS_PER_COMMAND), 'JUSTID']);
    await this.commands().pipeline(chunks);
  }
}

/** The rows `picked` of a block (ascending row indices), in that order. */
function pickRows(block: RowBlock, picked: Uint32Array): RowBlock {
  const { D } = block;
  const values =
    block.values instanceof Uint8Array ? new Uint8Array(picked.length * D) : new Float32Array(picked.length * D);
  picked.forEach((row, k) => values.set(block.values.subarray(row * D, (row + 1) * D), k * D));
  return { ...block, values, rows: picked.length };
}

/** Whether rows [start, end) all lie below `mark` or among `above` (ascending): a legacy state's entries. */
function coverage(mark: number, above: readonly number[]): (start: number, end: number) => boolean {
  const trained = new Set(above);
  return (start, end) => {
    for (let row = Math.max(start, mark); row < end; row++) if (!trained.has(row)) return false;
    return true;
  };
}

/** A Redis stream source from `redis://host:port/stream?group=G&consumer=NAME&…` (see redis_url.ts). */
export function redisSource(url: string | RedisConsumerSettings, options: RedisSourceOptions = {}): RedisStreamSource {
  return new RedisStreamSource(typeof url === 'string' ? parseRedisConsumerUrl(url, options.password) : url);
}

const ordinal = (n: number) =>
  `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;

/** The last entry id a group has delivered (XINFO GROUPS), '0-0' for a group that delivered nothing. */
async function lastDeliveredId(connection: RedisConnection, stream: string, group: string): Promise<string> {
  const groups = (await connection.send('XINFO', 'GROUPS', stream)) as unknown[][];
  for (const info of groups) {
    const fields = fieldsOf(info);
    if (String(fields.get('name')) === group) return String(fields.get('last-delivered-id') ?? '0-0');
  }
  return '0-0';
}
