/**
 * What a Redis stream source keeps in a checkpoint (source.node.ts): the entries the checkpoint lets it
 * acknowledge, and those it holds some rows of, with their bitmaps (trained_rows.ts); and the form checkpoints had
 * before acknowledgement was row-exact, still read. Made from the source's deliveries, read back from JSON and
 * checked here. No Redis: safe anywhere.
 */
import { checkpointedRowsOf } from '../acknowledging_source.ts';
import { markTrained, noRowsTrained, trainedCount, trainedRowsToBase64 } from '../trained_rows.ts';
import type { Delivery } from './deliveries.ts';
import type { RedisConsumerSettings } from './url.ts';

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

/**
 * The state of a checkpoint holding the rows below `rowsConsumed` and those in `trainedAbove` (the low-water mark
 * and the rows trained above it: acknowledging_source.ts), given the entries delivered and not yet acknowledged
 * (`log`, by id): the entries it holds all rows of, and the bitmaps of those it adds some rows to.
 */
export function checkpointStateOf(
  log: ReadonlyMap<string, Delivery>,
  settings: Pick<RedisConsumerSettings, 'stream' | 'group'>,
  rowsConsumed: number,
  trainedAbove: readonly number[],
): RedisSourceState {
  const above = new Set(trainedAbove);
  const acknowledge: string[] = [];
  const partial: [string, number, string][] = [];
  for (const [id, d] of log) {
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
  return { stream: settings.stream, group: settings.group, acknowledge, partial };
}

/** The state checkpoints held before acknowledgement was row-exact: entries with their rows' numbers [start, end). */
export interface LegacyRedisSourceState {
  stream: string;
  group: string;
  entries: [id: string, start: number, end: number][];
}

/**
 * The entries to acknowledge and to record of a checkpoint's state (CheckpointedRows, from JSON) for the source of
 * stream `name` (for messages) with `settings`: a state of another stream or group, or not this source's, is an
 * error naming what was expected.
 */
export function checkpointedEntries(
  state: unknown,
  name: string,
  settings: Pick<RedisConsumerSettings, 'stream' | 'group'>,
): Pick<RedisSourceState, 'acknowledge' | 'partial'> {
  const { rowsConsumed, trainedAbove, source } = checkpointedRowsOf(state, name);
  const saved = source as Partial<RedisSourceState & LegacyRedisSourceState> | null;
  const expected = `(expected { stream, group, acknowledge: [id, …], partial: [[id, rows, bitmap], …] })`;
  if (
    saved === null ||
    typeof saved !== 'object' ||
    !(Array.isArray(saved.entries) || (Array.isArray(saved.acknowledge) && Array.isArray(saved.partial)))
  ) {
    throw new Error(
      `${name}: the checkpoint's source state is not this source's ${expected}, got ${JSON.stringify(source)?.slice(0, 200)}`,
    );
  }
  if (saved.stream !== settings.stream || saved.group !== settings.group) {
    throw new Error(
      `${name}: the checkpoint was trained from stream '${saved.stream}' group ` +
        `'${saved.group}', not stream '${settings.stream}' group '${settings.group}'`,
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
    throw new Error(`${name}: the checkpoint's source state holds ${JSON.stringify(bad)?.slice(0, 200)} ${expected}`);
  return { acknowledge: saved.acknowledge, partial };
}

/** Whether rows [start, end) all lie below `mark` or among `above` (ascending): a legacy state's entries. */
function coverage(mark: number, above: readonly number[]): (start: number, end: number) => boolean {
  const trained = new Set(above);
  return (start, end) => {
    for (let row = Math.max(start, mark); row < end; row++) if (!trained.has(row)) return false;
    return true;
  };
}
