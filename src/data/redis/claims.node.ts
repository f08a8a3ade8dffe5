// Node-only: claiming between the consumers of a group, for a Redis stream source (source.node.ts's header): the
// entries of a consumer that stopped acknowledging are taken over once idle for claim-after (XAUTOCLAIM), this
// consumer's own delivered entries are kept from that fate while it lives (their idle time reset every keep-alive,
// XCLAIM … JUSTID), and a pass that ends before another consumer's entries could be claimed says so. Apart from
// the source's class because it is the one part of the protocol about the other consumers.
import type { RedisConnection } from './connection.node.ts';
import { entriesOf, type RawEntry } from './deliveries.ts';
import { IDS_PER_COMMAND } from './trained_hash.node.ts';
import { claimBeforeEnd, type RedisConsumerSettings } from './url.ts';

/**
 * The entries of the group left unacknowledged for claim-after by any consumer, claimed for this one
 * (XAUTOCLAIM), a page of up to `count` at a time: the next page is asked for once the last one is consumed.
 * `commands` gives the source's command connection (asked for each page: it throws once the source is closed).
 */
export async function* claimIdleEntries(
  commands: () => RedisConnection,
  s: RedisConsumerSettings,
): AsyncGenerator<RawEntry[]> {
  let cursor = '0-0';
  do {
    const [next, claimedReply] = (await commands().send(
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
    yield entriesOf(claimedReply);
  } while (cursor !== '0-0');
}

/**
 * Keeps a source's delivered, unacknowledged entries from being claimed: every keep-alive, their idle time is
 * reset (XCLAIM … JUSTID, to this consumer). A failed round is said on stderr and not fatal: the next round tries
 * again; if all fail for claim-after, others claim the entries (at-least-once).
 */
export class KeepAlive {
  private readonly settings: RedisConsumerSettings;
  /** The entries to keep alive now (the open pass's unacknowledged ones). */
  private readonly ids: () => string[];
  private readonly commands: () => RedisConnection;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** The latest round, for a closing source to wait out. */
  private latest: Promise<void> = Promise.resolve();

  constructor(settings: RedisConsumerSettings, ids: () => string[], commands: () => RedisConnection) {
    this.settings = settings;
    this.ids = ids;
    this.commands = commands;
  }

  /** Starts the rounds, unless they run already; the timer does not keep the process alive. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      const ids = this.ids();
      if (ids.length === 0) return;
      this.latest = this.resetIdle(ids).catch((error: Error) => {
        console.error(`aevb: keeping entries alive failed: ${error.message}`);
      });
    }, this.settings.keepAliveMs);
    this.timer.unref();
  }

  /** Starts no further round; a round under way goes on (settled() waits for it). */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** The latest round, settled (it never rejects). */
  settled(): Promise<void> {
    return this.latest;
  }

  private async resetIdle(ids: string[]): Promise<void> {
    const s = this.settings;
    const chunks: [string, ...string[]][] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_COMMAND)
      chunks.push(['XCLAIM', s.stream, s.group, s.consumer, '0', ...ids.slice(i, i + IDS_PER_COMMAND), 'JUSTID']);
    await this.commands().pipeline(chunks);
  }
}

/**
 * At a pass's end by end-after-idle shorter than CLAIM_MARGIN × claim-after: when other consumers still hold
 * pending entries, says so on stderr with what to change — one of them may be dead, and its entries would be
 * claimed only after this pass ended (left pending, untrained, with an exit status 0). Silent otherwise: a lone
 * consumer, or one whose settings claim in time. `sourceName` names the source in the message.
 */
export async function warnOfUnclaimed(
  commands: () => RedisConnection,
  s: RedisConsumerSettings,
  sourceName: string,
): Promise<void> {
  const advice = claimBeforeEnd(s);
  if (advice === null) return;
  const [, , , consumers] = (await commands().send('XPENDING', s.stream, s.group)) as [
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
    `aevb: ${sourceName}: the pass ends after end-after-idle with ${entries} ${entries === 1 ? 'entry' : 'entries'} ` +
      `pending for other consumers (${others.map(([name, count]) => `${name}: ${count}`).join(', ')}); should one ` +
      `be dead, its entries are claimed only once idle for claim-after, after this pass has ended: ${advice}`,
  );
}
