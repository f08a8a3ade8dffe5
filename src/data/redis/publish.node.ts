// Node-only: a producer that feeds a Redis stream from any row source, one packed block of rows per entry
// (XADD), pipelined: a producer that awaited each XADD would manage only 7–11k rows/s on loopback. And the
// re-drive of a dead-letter stream: its entries back into the stream they came from.
import { RedisConnection } from './connection.node.ts';
import { encodeEntry } from './entry.ts';
import { DEAD_LETTER_FIELDS } from './dead_letters.node.ts';
import { describeStream, parseRedisStreamUrl } from './url.ts';
import type { RowSource } from '../row_source.ts';

export interface PublishOptions {
  /** Rows per entry (the last entry of the source may hold fewer). One minibatch per entry suits a trainer. */
  packRows?: number;
  /** Entries per pipeline round trip; two round trips are in flight at a time. */
  entriesPerRoundTrip?: number;
  /** Stop after this many rows. */
  maxRows?: number;
  /** Called after each round trip is confirmed. */
  onProgress?: (published: PublishResult) => void;
  /** The password, when the URL has none. */
  password?: string;
}

export interface PublishResult {
  rows: number;
  entries: number;
  seconds: number;
}

/** Publishes one pass of `source` to the stream of `url` (redis://host:port/stream); resolves when all are stored. */
export async function publishRows(
  source: RowSource,
  url: string,
  options: PublishOptions = {},
): Promise<PublishResult> {
  const packRows = options.packRows ?? 100;
  const perRoundTrip = options.entriesPerRoundTrip ?? 64;
  const maxRows = options.maxRows ?? Infinity;
  if (!Number.isInteger(packRows) || packRows < 1)
    throw new Error(`publishRows: packRows must be an integer ≥ 1, got ${packRows}`);
  const address = parseRedisStreamUrl(url, options.password);
  const connection = new RedisConnection(address, 'producer');
  const started = performance.now();
  const result: PublishResult = { rows: 0, entries: 0, seconds: 0 };
  let batch: ['XADD', string, '*', ...(string | Uint8Array)[]][] = [];
  let batchRows = 0;
  let inFlight: Promise<void> = Promise.resolve();
  // A round trip's failure is kept here (never an unhandled rejection) and thrown by the next send or the end.
  let failure: Error | null = null;
  const settle = async () => {
    await inFlight;
    if (failure !== null) throw failure;
  };
  const send = async () => {
    const commands = batch;
    const rows = batchRows;
    batch = [];
    batchRows = 0;
    // Wait for the round trip before the last, so at most two are in flight and memory stays bounded.
    await settle();
    inFlight = connection.pipeline(commands).then(
      () => {
        result.rows += rows;
        result.entries += commands.length;
        result.seconds = (performance.now() - started) / 1000;
        options.onProgress?.({ ...result });
      },
      (error: Error) => {
        failure ??= error;
      },
    );
  };
  // Rows wait in `pack` until it holds packRows of them: entries have the same size whatever the blocks' sizes.
  let pack: Uint8Array | Float32Array | null = null;
  let packed = 0;
  let D = 0;
  const add = async (values: Uint8Array | Float32Array, rows: number) => {
    const fields = encodeEntry(values, D);
    batch.push(['XADD', address.stream, '*', ...fields]);
    batchRows += rows;
    if (batch.length >= perRoundTrip) await send();
  };
  let taken = 0;
  try {
    for await (const block of source.open()) {
      if (pack === null) {
        D = block.D;
        pack = block.values instanceof Uint8Array ? new Uint8Array(packRows * D) : new Float32Array(packRows * D);
      } else if (block.D !== D) {
        throw new Error(`${source.name}: rows have ${block.D} values, but the rows before have ${D}`);
      }
      const rows = Math.min(block.rows, maxRows - taken);
      for (let r = 0; r < rows;) {
        const n = Math.min(packRows - packed, rows - r);
        pack.set(block.values.subarray(r * D, (r + n) * D), packed * D);
        packed += n;
        r += n;
        if (packed === packRows) {
          await add(pack.slice(), packRows);
          packed = 0;
        }
      }
      taken += rows;
      if (taken >= maxRows) break;
    }
    if (packed > 0) await add(pack!.slice(0, packed * D), packed);
    if (batch.length > 0) await send();
    await settle();
  } finally {
    await inFlight;
    await connection.quit();
  }
  if (result.rows === 0)
    throw new Error(`${source.name}: holds no rows, nothing was published to ${describeStream(address)}`);
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/**
 * Moves every entry of the dead-letter stream `from` (redis://…/STREAM:dead) to the stream `to`, oldest first:
 * each one's own fields (those the dead letter added taken off) as a new entry of `to`, then deleted from `from`
 * — at-least-once: a crash between the two leaves the entry in both. Fix what made the entries fail first (the
 * producer, or a consumer's D), or they fail again. Resolves to the entries moved.
 */
export async function redriveEntries(
  from: string,
  to: string,
  options: { password?: string; onProgress?: (moved: number) => void } = {},
): Promise<number> {
  const source = parseRedisStreamUrl(from, options.password);
  const target = parseRedisStreamUrl(to, options.password);
  if (source.server === target.server && source.db === target.db && source.stream === target.stream) {
    throw new Error(`${describeStream(source)}: --from and --to name the same stream`);
  }
  const reading = new RedisConnection(source, 'redrive-from');
  const writing =
    source.server === target.server && source.db === target.db ? reading : new RedisConnection(target, 'redrive-to');
  const annotations = new Set<string>(DEAD_LETTER_FIELDS);
  let moved = 0;
  try {
    for (;;) {
      const entries = (await reading.send('XRANGE', source.stream, '-', '+', 'COUNT', 100)) as [Buffer, Buffer[]][];
      if (entries.length === 0) return moved;
      const adds: [string, ...(string | Buffer)[]][] = entries.map(([, fields]) => {
        const own: Buffer[] = [];
        for (let i = 0; i + 1 < fields.length; i += 2)
          if (!annotations.has(fields[i].toString())) own.push(fields[i], fields[i + 1]);
        return ['XADD', target.stream, '*', ...own];
      });
      await writing.pipeline(adds);
      await reading.send('XDEL', source.stream, ...entries.map(([id]) => id.toString()));
      moved += entries.length;
      options.onProgress?.(moved);
    }
  } finally {
    await reading.quit();
    if (writing !== reading) await writing.quit();
  }
}
