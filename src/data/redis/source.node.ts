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
//
// Beside this file, by concern: the entries as replied and as delivered (deliveries.ts), claiming between
// consumers and the keep-alive (claims.node.ts), the row length read before a pass (row_length.node.ts), the dead
// letters (dead_letters.node.ts), the trained-rows hash (trained_hash.node.ts), the state a checkpoint keeps
// (source_state.ts), what the source counts (source_stats.ts) and the group's standing (standing.node.ts).
import type { AcknowledgingSource } from '../acknowledging_source.ts';
import type { RowBlock } from '../row_block.ts';
import { trainedRowsFromBase64 } from '../trained_rows.ts';
import { claimIdleEntries, KeepAlive, warnOfUnclaimed } from './claims.node.ts';
import { RedisConnection } from './connection.node.ts';
import { countFailure, deadLetterLine, type DeadLetter } from './dead_letters.node.ts';
import { pickRows, readGroupReply, rowsToRedeliver, type Delivery, type RawEntry } from './deliveries.ts';
import { decodeEntry, StreamEntryError } from './entry.ts';
import { readRowLength } from './row_length.node.ts';
import { checkpointedEntries, checkpointStateOf, type RedisSourceState } from './source_state.ts';
import { noCountsYet, type RedisSourceStats } from './source_stats.ts';
import { readStanding, type RedisStreamStanding } from './standing.node.ts';
import { readTrainedRows, recordCommands, trainedKeyOf } from './trained_hash.node.ts';
import { CLAIM_SCAN_FRACTION, describeStream, parseRedisConsumerUrl, type RedisConsumerSettings } from './url.ts';

// What moved beside this file, still importable from here (the library's entry and older imports name this file).
export { deadLetterLine, deadStreamOf, type DeadLetter } from './dead_letters.node.ts';
export type { RedisSourceState } from './source_state.ts';
export type { RedisSourceStats } from './source_stats.ts';
export type { RedisStreamStanding } from './standing.node.ts';
export { trainedKeyOf } from './trained_hash.node.ts';

/** Options besides the URL. */
export interface RedisSourceOptions {
  /** The password, when the URL has none (the CLI's REDIS_PASSWORD or --redis-password-file). */
  password?: string;
}

/** The rows of a Redis stream for a training run; see the file's header. */
export class RedisStreamSource implements AcknowledgingSource {
  readonly name: string;
  readonly settings: RedisConsumerSettings;
  private readonly counts: RedisSourceStats = noCountsYet();
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
  /** Keeps the entries of `log` from being claimed by other consumers while this one lives. */
  private readonly keepAlive: KeepAlive;
  private resumed: Promise<void> = Promise.resolve();
  private groupReady: Promise<void> | null = null;
  private closed = false;

  constructor(settings: RedisConsumerSettings) {
    this.settings = settings;
    this.name = describeStream(settings);
    this.keepAlive = new KeepAlive(
      settings,
      () => [...this.log.keys()],
      () => this.commands(),
    );
  }

  get stats(): Readonly<RedisSourceStats> {
    return this.counts;
  }

  /**
   * The group's lag and pending entries, this consumer's pending entries and the dead letters, from Redis: one
   * pipelined round trip, for a report every few seconds (never per step). Before the group exists, it fails.
   */
  async standing(): Promise<RedisStreamStanding> {
    return readStanding(this.commands(), this.settings, this.name);
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
      this.D = await readRowLength(probe, s, this.name);
      return this.D;
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
      this.keepAlive.start();
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
          for await (const page of claimIdleEntries(() => this.commands(), s)) {
            const claimed = page.filter((e) => !this.log.has(e.id));
            this.counts.claimed += claimed.length;
            got += claimed.length;
            yield* this.deliver(claimed, true);
          }
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
          await warnOfUnclaimed(() => this.commands(), s, this.name);
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
    return checkpointStateOf(this.log, this.settings, rowsConsumed, trainedAbove);
  }

  /** Acknowledges the entries the checkpoint's state holds all rows of, and records the rows of those it holds some of. */
  async checkpointed(state: unknown): Promise<void> {
    const { acknowledge, partial } = checkpointedEntries(state, this.name, this.settings);
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

  /**
   * Stops keeping entries alive and closes the connections; unacknowledged entries stay pending. A pass blocked
   * in a read ends at once (with an error saying the source was closed), and so does a rowLength() waiting for an
   * entry: a stop never waits out a blocking read. Calling it again does nothing.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.keepAlive.stop();
    this.reader?.disconnect();
    this.probe?.disconnect();
    const commands = this.commandConnection;
    this.commandConnection = null;
    // A connection in an outage would hold the last keep-alive until it is back: drop it instead.
    if (commands !== null && !commands.ready) commands.disconnect();
    await this.keepAlive.settled();
    await commands?.quit();
  }

  /** Like close(), but drops the connections at once, as a crashed process would. */
  abandon(): void {
    this.closed = true;
    this.keepAlive.stop();
    this.reader?.disconnect();
    this.probe?.disconnect();
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

  /**
   * Decodes and yields entries not yet in this pass. Entries `redelivered` (pending before: our own, or claimed)
   * deliver only the rows no checkpoint holds (the trained-rows hash); one whose rows all are is acknowledged.
   */
  private async *deliver(entries: RawEntry[], redelivered = false): AsyncGenerator<RowBlock> {
    const stored = redelivered
      ? await readTrainedRows(
          this.commands(),
          this.settings,
          entries.filter((e) => e.fields !== null && !this.log.has(e.id)).map((e) => e.id),
        )
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
      const { recorded, picked } = rowsToRedeliver(
        stored?.get(id) ?? null,
        rows,
        `${this.name}: entry ${id}: ${trainedKeyOf(this.settings.stream, this.settings.group)}`,
      );
      if (picked !== null) {
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

  private acknowledge(ids: string[]): Promise<void> {
    return this.record(ids, []);
  }

  /** Records the partly trained entries and acknowledges `acknowledge`, in one round trip (recordCommands). */
  private async record(
    acknowledge: string[],
    partial: readonly [id: string, rows: number, trained: string][],
  ): Promise<void> {
    if (acknowledge.length === 0 && partial.length === 0) return;
    await this.commands().pipeline(recordCommands(this.settings, acknowledge, partial));
    this.counts.acknowledged += acknowledge.length;
    this.counts.partlyTrained += partial.length;
  }

  /**
   * Counts a failed processing of entry `id` (countFailure): true when it moved to the dead-letter stream (the pass
   * goes on; the dead letter reported), false while it stays pending (the pass stops on it).
   */
  private async failed(id: string, fields: Uint8Array[], error: StreamEntryError): Promise<boolean> {
    const letter = await countFailure(this.commands(), this.settings, this.name, id, fields, error);
    this.counts.failures++;
    if (letter === null) return false;
    this.counts.deadLettered++;
    this.counts.acknowledged++;
    if (this.deadLetterListeners.size === 0) console.error(deadLetterLine(letter));
    for (const listener of this.deadLetterListeners) listener(letter);
    return true;
  }
}

/** A Redis stream source from `redis://host:port/stream?group=G&consumer=NAME&…` (see url.ts). */
export function redisSource(url: string | RedisConsumerSettings, options: RedisSourceOptions = {}): RedisStreamSource {
  return new RedisStreamSource(typeof url === 'string' ? parseRedisConsumerUrl(url, options.password) : url);
}
