// Node-only: how `aevb train` shows a Redis stream while it trains on it — the group's lag (entries not yet
// delivered to the group), the entries pending for the group and for this consumer, the dead letters (this
// consumer's, and all in `{<stream>}:dead`) and the rows/s this consumer takes from the stream. A `stream`
// record in metrics.jsonl and a few words on the progress line, at most once every STREAM_REPORT_MS (sampled at
// the run's metrics events, so a run with --metrics-every 1 still asks Redis once a second, not once a step) and
// once more at the end. Asking costs one pipelined round trip (RedisStreamSource.standing()).
import type { RedisStreamSource } from '../data/redis/source.node.ts';

/** The shortest time between two samples (ms). */
export const STREAM_REPORT_MS = 1000;

/** One `stream` record of metrics.jsonl. */
export interface StreamRecord {
  type: 'stream';
  step: number;
  /** The stream's URL (no password), the group and this consumer. */
  stream: string;
  group: string;
  consumer: string;
  /** Entries not yet delivered to the group; null where Redis cannot say (before 7.0, or after deletions). */
  lag: number | null;
  /** Entries delivered to the group and not acknowledged, all consumers; and this consumer's. */
  group_pending: number;
  pending: number;
  /** Entries this consumer moved to the dead-letter stream in this run; entries in the dead-letter stream. */
  dead_lettered: number;
  dead_letters: number;
  /** Rows this consumer took from the stream in this run, and per second since the previous record. */
  rows: number;
  rows_per_second: number;
  /** Entries this consumer acknowledged, and claimed from others, in this run. */
  acknowledged: number;
  claimed: number;
}

/** The progress line's part: `lag 120 · pending 16/48 · dead 0 · 850 rows/s`. */
export function streamProgressText(r: StreamRecord): string {
  return `lag ${r.lag ?? '?'} · pending ${r.pending}/${r.group_pending} · dead ${r.dead_letters} · ${r.rows_per_second.toFixed(0)} rows/s`;
}

export class StreamReport {
  private lastAt = -Infinity;
  private lastRows = 0;
  private inFlight: Promise<void> | null = null;
  private warned = false;

  constructor(
    private readonly source: RedisStreamSource,
    /** Where each record goes (metrics.jsonl) and where the line's text goes (the progress bar). */
    private readonly log: (record: StreamRecord) => void,
    private readonly show: (text: string) => void,
    private readonly warn: (message: string) => void = (m) => console.error(m),
  ) {
    this.lastAt = performance.now();
  }

  /** At a metrics event: a sample when the last is STREAM_REPORT_MS old and none is being taken (not awaited). */
  tick(step: number): void {
    if (this.inFlight !== null || performance.now() - this.lastAt < STREAM_REPORT_MS) return;
    this.inFlight = this.sample(step).finally(() => (this.inFlight = null));
  }

  /** The last sample, at the run's end (before the source closes); waits for one being taken. */
  async end(step: number): Promise<void> {
    await this.inFlight;
    await this.sample(step);
  }

  private async sample(step: number): Promise<void> {
    const at = performance.now();
    let standing;
    try {
      standing = await this.source.standing();
    } catch (error) {
      // A report is never the run's end: say it once, and try again next time.
      if (!this.warned)
        this.warn(
          `aevb: ${this.source.name}: could not read the stream's standing for metrics.jsonl: ${(error as Error).message}`,
        );
      this.warned = true;
      return;
    }
    const stats = this.source.stats;
    const seconds = (at - this.lastAt) / 1000;
    const record: StreamRecord = {
      type: 'stream',
      step,
      stream: this.source.name,
      group: this.source.settings.group,
      consumer: this.source.settings.consumer,
      lag: standing.lag,
      group_pending: standing.groupPending,
      pending: standing.pending,
      dead_lettered: stats.deadLettered,
      dead_letters: standing.deadLetters,
      rows: stats.rows,
      rows_per_second: seconds > 0 ? (stats.rows - this.lastRows) / seconds : 0,
      acknowledged: stats.acknowledged,
      claimed: stats.claimed,
    };
    this.lastAt = at;
    this.lastRows = stats.rows;
    this.log(record);
    this.show(streamProgressText(record));
  }
}
