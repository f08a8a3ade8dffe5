// Node-only: a consumer group's trained-rows hash in Redis (source.node.ts's header): entry id → the bitmap of
// its rows some checkpoint holds (trained_rows.ts), read when entries are delivered again and written, with the
// acknowledgement of the entries a checkpoint holds whole, after each checkpoint.
import type { RedisConnection } from './connection.node.ts';
import { keyPrefixOf, type RedisConsumerSettings } from './url.ts';
import { trainedRowsFromBase64 } from '../trained_rows.ts';

/** Entries per XACK / XCLAIM command. */
export const IDS_PER_COMMAND = 1000;

/**
 * The hash of a group's partly trained entries (entry id → bitmap of the rows a checkpoint holds), on the
 * stream's slot: `{mnist}:trained:g` for stream `mnist` (keyPrefixOf).
 */
export function trainedKeyOf(stream: string, group: string): string {
  return `${keyPrefixOf(stream)}:trained:${group}`;
}

/** The trained-rows bitmaps of entries `ids` (HMGET): id → its bitmap, for those that have one. */
export async function readTrainedRows(
  commands: RedisConnection,
  s: Pick<RedisConsumerSettings, 'stream' | 'group'>,
  ids: string[],
): Promise<Map<string, Uint8Array>> {
  const found = new Map<string, Uint8Array>();
  if (ids.length === 0) return found;
  const values = (await commands.send('HMGET', trainedKeyOf(s.stream, s.group), ...ids)) as (Buffer | null)[];
  values.forEach((v, i) => {
    if (v !== null) found.set(ids[i], v);
  });
  return found;
}

/**
 * The commands, for one round trip, that write the bitmaps of the partly trained entries into the trained-rows
 * hash (HSET) and acknowledge the entries `acknowledge` (XACK), their bitmaps deleted (HDEL) after the XACK, so a
 * crash between the two leaves at most a bitmap of an acknowledged entry, never an entry pending without its bitmap.
 */
export function recordCommands(
  s: Pick<RedisConsumerSettings, 'stream' | 'group'>,
  acknowledge: readonly string[],
  partial: readonly [id: string, rows: number, trained: string][],
): [string, ...(string | Uint8Array)[]][] {
  const key = trainedKeyOf(s.stream, s.group);
  const commands: [string, ...(string | Uint8Array)[]][] = [];
  for (let i = 0; i < partial.length; i += IDS_PER_COMMAND) {
    commands.push([
      'HSET',
      key,
      ...partial.slice(i, i + IDS_PER_COMMAND).flatMap(([id, , trained]) => [id, trainedRowsFromBase64(trained)]),
    ]);
  }
  for (let i = 0; i < acknowledge.length; i += IDS_PER_COMMAND)
    commands.push(['XACK', s.stream, s.group, ...acknowledge.slice(i, i + IDS_PER_COMMAND)]);
  for (let i = 0; i < acknowledge.length; i += IDS_PER_COMMAND)
    commands.push(['HDEL', key, ...acknowledge.slice(i, i + IDS_PER_COMMAND)]);
  return commands;
}
