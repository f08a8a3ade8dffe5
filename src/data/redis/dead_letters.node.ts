// Node-only: the dead letters of a Redis stream source (source.node.ts's header says when an entry is one):
// the failures hash and the dead-letter stream, their names (the stream's name as Redis Cluster hash tag) and the
// names before the hash tags, and the line that reports a dead letter with the command that re-drives it.
import type { RedisConnection } from './connection.node.ts';
import type { StreamEntryError } from './entry.ts';
import { keyPrefixOf, type RedisConsumerSettings } from './url.ts';

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

/**
 * Counts a failed processing of entry `id` of the stream `name` (for messages). At the max-deliveries-th failure
 * the entry moves to the dead-letter stream, acknowledged, in one transaction: resolves to its dead letter (the
 * pass goes on). Before, resolves to null, `error` told how many failures remain (the pass stops on it).
 */
export async function countFailure(
  commands: RedisConnection,
  s: RedisConsumerSettings,
  name: string,
  id: string,
  fields: Uint8Array[],
  error: StreamEntryError,
): Promise<DeadLetter | null> {
  const field = `${s.group}/${id}`;
  // A count kept under the name before the hash tags (`<stream>:failures`) still counts; read apart from the
  // new hash, since on a cluster the two are on different slots.
  const legacy = Number(
    ((await commands.send('HGET', legacyFailuresKeyOf(s.stream), field)) as Buffer | null)?.toString() ?? 0,
  );
  const failures = legacy + Number(await commands.send('HINCRBY', failuresKeyOf(s.stream), field, 1));
  if (failures < s.maxDeliveries) {
    error.message +=
      ` (failure ${failures} of ${s.maxDeliveries}: the entry stays pending, and its ` +
      `${ordinal(s.maxDeliveries)} failure moves it to ${deadStreamOf(s.stream)}; max-deliveries)`;
    return null;
  }
  const reason = error.message.slice(`${name}: entry ${id}: `.length);
  const [deadId] = await commands.transaction([
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
  if (legacy > 0) await commands.send('HDEL', legacyFailuresKeyOf(s.stream), field);
  const letter: DeadLetter = {
    stream: name,
    streamKey: s.stream,
    id,
    deadStream: deadStreamOf(s.stream),
    deadId: String(deadId),
    group: s.group,
    consumer: s.consumer,
    failures,
    error: reason,
  };
  return letter;
}

const ordinal = (n: number) =>
  `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;
