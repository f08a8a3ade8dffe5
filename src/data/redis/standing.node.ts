// Node-only: where a consumer group and one of its consumers stand in a Redis stream, as Redis has it now — for the
// progress line and metrics.jsonl of a run (never per step) — and the group's last delivered entry.
import type { RedisConnection } from './connection.node.ts';
import { deadStreamOf } from './dead_letters.node.ts';
import type { RedisConsumerSettings } from './url.ts';

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

/**
 * The group's lag and pending entries, this consumer's pending entries and the dead letters of stream `name`
 * (for messages): one pipelined round trip. Before the group exists, it fails.
 */
export async function readStanding(
  commands: RedisConnection,
  s: RedisConsumerSettings,
  name: string,
): Promise<RedisStreamStanding> {
  const [groups, consumers, dead] = (await commands.pipeline([
    ['XINFO', 'GROUPS', s.stream],
    ['XINFO', 'CONSUMERS', s.stream, s.group],
    ['XLEN', deadStreamOf(s.stream)],
  ])) as [unknown[][], unknown[][], number];
  const group = groups.map(fieldsOf).find((g) => String(g.get('name')) === s.group);
  if (group === undefined) throw new Error(`${name}: XINFO GROUPS lists no group '${s.group}'`);
  const me = consumers.map(fieldsOf).find((c) => String(c.get('name')) === s.consumer);
  const lag = group.get('lag');
  return {
    lag: lag === null || lag === undefined ? null : Number(lag),
    groupPending: Number(group.get('pending') ?? 0),
    pending: Number(me?.get('pending') ?? 0),
    deadLetters: Number(dead),
  };
}

/** The last entry id a group has delivered (XINFO GROUPS), '0-0' for a group that delivered nothing. */
export async function lastDeliveredId(connection: RedisConnection, stream: string, group: string): Promise<string> {
  const groups = (await connection.send('XINFO', 'GROUPS', stream)) as unknown[][];
  for (const info of groups) {
    const fields = fieldsOf(info);
    if (String(fields.get('name')) === group) return String(fields.get('last-delivered-id') ?? '0-0');
  }
  return '0-0';
}
