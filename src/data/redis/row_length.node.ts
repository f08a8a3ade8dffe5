// Node-only: D, the values per row of a Redis stream's rows, found before a pass without taking anything from
// the consumer group (XRANGE and XREAD only: no delivery, no entry pending), for a Redis stream source's
// rowLength() (source.node.ts). Apart from the class because it reads the stream beside the group, not through it.
import type { RedisConnection } from './connection.node.ts';
import { entriesOf } from './deliveries.ts';
import { decodeEntry, StreamEntryError } from './entry.ts';
import { lastDeliveredId } from './standing.node.ts';
import type { RedisConsumerSettings } from './url.ts';

/**
 * The D of the first entry that decodes, from the group's oldest pending entry, else its next undelivered one,
 * read on `probe` (a connection of its own, which the source cuts when it closes), waiting for one while the
 * stream has none — until end-after-idle: then an error saying that the stream (`name`) holds no rows. Entries
 * that do not decode are passed over here (a pass reports them).
 */
export async function readRowLength(probe: RedisConnection, s: RedisConsumerSettings, name: string): Promise<number> {
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
        return decodeEntry(name, id, fields, null).D;
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
        `${name}: holds no rows (no entry of group '${s.group}' to read within end-after-idle, ${s.endAfterIdleMs} ms)`,
      );
    }
    const wait =
      s.endAfterIdleMs === null ? s.blockMs : Math.max(1, Math.min(s.blockMs, Math.ceil(s.endAfterIdleMs - idle)));
    await probe.send('XREAD', 'COUNT', 1, 'BLOCK', wait, 'STREAMS', s.stream, from);
  }
}
