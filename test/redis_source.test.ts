// The Redis stream source and producer against a real redis-server (test/servers/redis_server.ts): rows
// published come back bit-identical; nothing is acknowledged before a checkpoint says so; a consumer that dies
// has its entries claimed by another, none lost; a restarted consumer takes back its own entries and finishes
// the acknowledgement its checkpoint records; entries held in the window are kept alive; bad entries are
// refused naming the stream and the entry; an entry whose processing keeps failing goes to the dead-letter stream.
// A pass that ends (end-after-idle) before a dead consumer's entries can be claimed says so, naming both options.
// Every loop is bounded by rows and by time (end-after-idle, and a deadline in `consume`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  deadLetterLine,
  redisSource,
  trainedKeyOf,
  type DeadLetter,
  type RedisSourceState,
  type RedisStreamSource,
} from '../src/data/redis/source.node.ts';
import { publishRows } from '../src/data/redis/publish.node.ts';
import { claimBeforeEnd, parseRedisConsumerUrl, parseRedisStreamUrl } from '../src/data/redis/url.ts';
import { decodeEntry, encodeEntry } from '../src/data/redis/entry.ts';
import type { RowSource } from '../src/data/row_source.ts';
import type { CheckpointedRows } from '../src/data/acknowledging_source.ts';
import { redisSuite } from './redis_suite.ts';
import { rejectsWith, throwsWith } from './gpu_suite.ts';
import { rowLengthOf } from '../src/data/read_rows.ts';
import { streamBatches } from './stream_batches.ts';
import { epochBatches } from '../src/stream/epoch_batches.ts';
import { npyBytes } from './npy_writer.ts';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const D = 3;

/** Row i as f32 values in [0, 1], exact in float32 for i < 2¹⁶: every row says which it is. */
const rowOf = (i: number) => [i / 65536, i / 131072, 1 - i / 65536];

/** Rows i = from … from+count−1 (rowOf). */
function rowsSource(count: number, from = 0, blockRows = 37): RowSource {
  return {
    name: `${count} numbered rows`,
    async *open() {
      for (let first = from; first < from + count; first += blockRows) {
        const rows = Math.min(blockRows, from + count - first);
        const values = new Float32Array(rows * D);
        for (let r = 0; r < rows; r++) values.set(rowOf(first + r), r * D);
        yield { values, rows, D, scale: 1 };
      }
    },
  };
}

/** The row numbers of a pass, read until `maxRows` rows or the pass ends; fails after `timeoutMs`. */
async function consume(source: RowSource, maxRows = Infinity, timeoutMs = 15_000): Promise<number[]> {
  const deadline = performance.now() + timeoutMs;
  const ids: number[] = [];
  for await (const block of source.open()) {
    for (let r = 0; r < block.rows; r++) {
      const v = [...block.values.subarray(r * D, (r + 1) * D)];
      const id = v[0] * 65536;
      assert.equal(v, rowOf(id), `row ${id} is intact`);
      ids.push(id);
    }
    if (ids.length >= maxRows) break;
    if (performance.now() > deadline) throw new Error(`consume: no end after ${timeoutMs} ms (${ids.length} rows)`);
  }
  return ids;
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const sorted = (a: number[]) => [...a].sort((x, y) => x - y);

test('consumer URLs: group and consumer required, unknown parameters and a keep-alive ≥ claim-after refused', () => {
  const s = parseRedisConsumerUrl(
    'redis://:secret@10.0.0.1:6380/mnist%2Ftrain?group=vae&consumer=gpu-1&claim-after=9000&end-after-idle=500',
  );
  assert.equal(
    [
      s.server,
      s.password,
      s.stream,
      s.group,
      s.consumer,
      s.claimAfterMs,
      s.keepAliveMs,
      s.endAfterIdleMs,
      s.maxDeliveries,
      s.reconnectForMs,
    ],
    ['redis://10.0.0.1:6380', 'secret', 'mnist/train', 'vae', 'gpu-1', 9000, 3000, 500, 5, 60_000],
    "the password is taken out of the server's URL",
  );
  assert.is(
    parseRedisConsumerUrl('redis://h:1/s?group=g&consumer=c&reconnect-for=5000', 'given').password,
    'given',
    'a password from outside the URL',
  );
  assert.is(
    parseRedisConsumerUrl('redis://u:inurl@h:1/s?group=g&consumer=c', 'given').password,
    'inurl',
    "the URL's wins",
  );
  assert.is(parseRedisConsumerUrl('redis://h:1/s?group=g&consumer=c&reconnect-for=5000').reconnectForMs, 5000);
  throwsWith(
    () => parseRedisConsumerUrl('redis://:hunter2@h:1/s?group=g'),
    ['redis://h:1/s?group=g: expected ?consumer=NAME'],
  );
  try {
    parseRedisConsumerUrl('redis://admin:hunter2@h:1/s?group=g&bogus=1');
  } catch (error) {
    assert.not.match((error as Error).message, 'hunter2', 'no password in a message');
    assert.match((error as Error).message, 'redis://admin@h:1/s');
  }
  assert.is(parseRedisStreamUrl('rediss://h:1/s?db=2').db, 2);
  throwsWith(() => parseRedisConsumerUrl('redis://h:1/s?consumer=a'), ['redis://h:1/s?consumer=a', '?group=NAME']);
  throwsWith(() => parseRedisConsumerUrl('redis://h:1/s?group=g'), ['?consumer=NAME']);
  throwsWith(() => parseRedisConsumerUrl('redis://h:1/?group=g&consumer=c'), ["stream's name"]);
  throwsWith(
    () => parseRedisConsumerUrl('redis://h:1/s?group=g&consumer=c&claim=5'),
    ["unknown parameter 'claim'", 'claim-after'],
  );
  throwsWith(
    () => parseRedisConsumerUrl('redis://h:1/s?group=g&consumer=c&claim-after=100&keep-alive=100'),
    ['keep-alive (100 ms) must be shorter than claim-after (100 ms)'],
  );
  throwsWith(
    () => parseRedisConsumerUrl('redis://h:1/s?group=g&consumer=c&count=0'),
    ['count must be an integer ≥ 1', "'0'"],
  );
  throwsWith(() => parseRedisConsumerUrl('http://h:1/s?group=g&consumer=c'), ['expected a redis:// or rediss:// URL']);
});

test('entries: u8 and f32 rows round-trip; a bad entry is refused naming the stream, the entry id and what was expected', () => {
  const bytes = (fields: (string | Uint8Array)[]) =>
    fields.map((f) => (typeof f === 'string' ? new TextEncoder().encode(f) : f));
  const f32 = decodeEntry('s', '1-0', bytes(encodeEntry(Float32Array.of(0.15, 1, 3e-8, 0), 2)), null);
  assert.equal([f32.rows, f32.D, f32.scale, [...f32.values]], [2, 2, 1, [Math.fround(0.15), 1, Math.fround(3e-8), 0]]);
  const u8 = decodeEntry('s', '1-1', bytes(encodeEntry(Uint8Array.of(0, 255, 7), 3)), 3);
  assert.equal([u8.rows, u8.D, u8.scale, [...u8.values]], [1, 3, 1 / 255, [0, 255, 7]]);
  const entry = (d: string, t: string, x: Uint8Array) => bytes(['d', d, 't', t, 'x', x]);
  throwsWith(
    () => decodeEntry('redis://h:1/s', '5-0', entry('4', 'f32', new Uint8Array(20)), null),
    ['redis://h:1/s: entry 5-0', 'whole rows of 4 f32 values (16 bytes each)', 'holds 20 bytes'],
  );
  throwsWith(
    () => decodeEntry('s', '5-1', entry('4', 'f64', new Uint8Array(32)), null),
    ['entry 5-1', "'t' to be 'u8' or 'f32'", "'f64'"],
  );
  throwsWith(
    () => decodeEntry('s', '5-2', entry('x', 'u8', new Uint8Array(4)), null),
    ['entry 5-2', "'d' to be a positive integer", "'x'"],
  );
  throwsWith(
    () => decodeEntry('s', '5-3', bytes(['t', 'u8', 'x', new Uint8Array(4)]), null),
    ['entry 5-3', "expected a field 'd'", 'fields t, x'],
  );
  throwsWith(
    () => decodeEntry('s', '5-4', entry('2', 'u8', new Uint8Array(4)), 3),
    ['entry 5-4', 'rows have 2 values, but the rows delivered before have 3'],
  );
  throwsWith(() => decodeEntry('s', '5-5', entry('2', 'u8', new Uint8Array(0)), null), ['entry 5-5', 'holds 0 bytes']);
  const outOfRange = bytes(encodeEntry(Float32Array.of(0.5, 1, 0, 37), 2));
  throwsWith(
    () => decodeEntry('s', '5-6', outOfRange, null),
    ['entry 5-6', 'row 1, value 1 is 37: expected values in [0, 1]', 'divide by 255'],
  );
  throwsWith(
    () => decodeEntry('s', '5-7', bytes(encodeEntry(Float32Array.of(NaN), 1)), null),
    ['entry 5-7', 'row 0, value 0 is NaN', 'not finite'],
  );
});

const redis = redisSuite(test, 'the Redis stream tests', 'rows');
if (redis !== null) {
  const { newStream, keep } = redis;
  const source = (stream: string, consumer: string, params = '') => {
    const s = redisSource(
      `${redis.server.url}/${stream}?group=g&consumer=${consumer}&block=100&end-after-idle=600${params}`,
    );
    keep(s);
    return s;
  };
  const pending = async (stream: string) => Number(((await redis.admin.call('XPENDING', stream, 'g')) as [number])[0]);
  const state = (s: RedisStreamSource, rowsConsumed: number): CheckpointedRows => ({
    rowsConsumed,
    source: s.checkpointState(rowsConsumed),
  });

  test('produce → consume: rows bit-identical and in order; acknowledged only up to what checkpointed() says', async () => {
    const stream = newStream();
    const published = await publishRows(rowsSource(1000), `${redis.server.url}/${stream}`, {
      packRows: 7,
      entriesPerRoundTrip: 10,
    });
    assert.equal([published.rows, published.entries], [1000, Math.ceil(1000 / 7)]);
    const a = source(stream, 'a');
    assert.equal(await consume(a), range(1000));
    assert.is(await pending(stream), 143, 'nothing acknowledged before a checkpoint');
    await a.checkpointed(state(a, 500));
    // Entries whose rows all lie below 500: 71 entries of 7 rows (rows 0…496); the entry holding 497…503 waits.
    assert.is(await pending(stream), 143 - 71);
    assert.is(a.unacknowledged, 143 - 71);
    await a.checkpointed(state(a, 1000));
    assert.is(await pending(stream), 0);
    await a.close();
  });

  test('through the training pipeline (shuffle window, minibatches): every published row once; the pass ends when the stream goes idle', async () => {
    const stream = newStream();
    await publishRows(rowsSource(1000), `${redis.server.url}/${stream}`, { packRows: 25 });
    const a = source(stream, 'a');
    const batches = await streamBatches({
      source: a,
      B: 10,
      seed: 1,
      shuffleWindowRows: 100,
      binarize: false,
      epochs: 1,
    });
    assert.is(batches.length, 100);
    const ids = batches.flatMap((b) => range(10).map((r) => b.data[r * D] * 65536));
    assert.not.equal(ids, range(1000), 'shuffled');
    assert.equal(sorted(ids), range(1000));
    await a.checkpointed(state(a, 1000));
    assert.is(await pending(stream), 0);
    await a.close();
  });

  test('a stream shorter than the shuffle window trains without waiting for a full window: an idle read lets the window go', async () => {
    const stream = newStream();
    await publishRows(rowsSource(300), `${redis.server.url}/${stream}`, { packRows: 10 });
    // No end-after-idle: the pass never ends, and a 10 000-row window would never fill from 300 rows.
    const a = redisSource(`${redis.server.url}/${stream}?group=g&consumer=a&block=100`);
    const pass = epochBatches({ source: a, B: 10, seed: 1, shuffleWindowRows: 10_000 }, 0)[Symbol.asyncIterator]();
    const ids: number[] = [];
    const started = performance.now();
    while (ids.length < 300) {
      // Without the idle read's release this would wait forever: fail instead.
      const next = await Promise.race([
        pass.next(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`no minibatch within 5 s (${ids.length} rows so far)`)), 5000).unref(),
        ),
      ]);
      assert.is(next.done, false);
      for (let r = 0; r < 10; r++) ids.push(next.value!.data[r * D] * 65536);
    }
    assert.ok(
      performance.now() - started < 5000,
      `all 300 rows came out in ${(performance.now() - started).toFixed(0)} ms`,
    );
    assert.equal(sorted(ids), range(300));
    await pass.return(undefined);
    await a.close();
  });

  test('a consumer killed without acknowledging: another claims its entries (XAUTOCLAIM); none lost, none twice', async () => {
    const stream = newStream();
    await publishRows(rowsSource(2000), `${redis.server.url}/${stream}`, { packRows: 10 });
    const a = source(stream, 'a', '&claim-after=300');
    const seenByA = await consume(a, 600);
    assert.ok(seenByA.length >= 600);
    a.abandon(); // a crash: no acknowledgement, no keep-alive
    const b = source(stream, 'b', '&claim-after=300&end-after-idle=1500');
    const seenByB = await consume(b);
    assert.equal(sorted(seenByB), range(2000), "b trains every row exactly once, a's included");
    assert.ok(b.stats.claimed >= 60, `b claimed a's entries (${b.stats.claimed})`);
    await b.checkpointed(state(b, b.stats.rows));
    assert.is(await pending(stream), 0);
    await b.close();
  });

  test('end-after-idle shorter than 1.25 × claim-after: a pass ending with entries pending for another consumer says so, naming both options; one that claims in time is silent', async () => {
    assert.is(claimBeforeEnd({ endAfterIdleMs: 30_000, claimAfterMs: 10_000 }), null, "the README's example");
    assert.is(claimBeforeEnd({ endAfterIdleMs: null, claimAfterMs: 10 }), null, 'a pass with no end');
    assert.is(
      claimBeforeEnd({ endAfterIdleMs: 10_000, claimAfterMs: 60_000 }),
      'end-after-idle (10000 ms) is shorter than 1.25 × claim-after (60000 ms): give end-after-idle=75000 or more, ' +
        'or claim-after=8000 or less, in the URL',
    );
    const stream = newStream();
    await publishRows(rowsSource(200), `${redis.server.url}/${stream}`, { packRows: 10 });
    const dead = source(stream, 'dead');
    assert.ok((await consume(dead, 50)).length >= 50);
    dead.abandon(); // its entries stay pending for it
    const errors: string[] = [];
    const write = console.error;
    console.error = (line: string) => errors.push(line);
    try {
      const late = source(stream, 'late'); // end-after-idle=600, claim-after 60 s: it ends before any claim
      const seen = await consume(late);
      assert.ok(seen.length < 200, 'the dead consumer’s rows were not claimed');
      assert.match(
        errors.join('\n'),
        /the pass ends after end-after-idle with \d+ entries pending for other consumers \(dead: \d+\); .*give end-after-idle=75000 or more, or claim-after=480 or less, in the URL/,
      );
      await late.close();
      errors.length = 0;
      const claiming = source(stream, 'claiming', '&claim-after=400'); // 600 ≥ 1.25 × 400: claims, then ends
      const claimed = await consume(claiming);
      assert.ok(claiming.stats.claimed > 0, 'the dead consumer’s entries were claimed');
      assert.ok(claimed.length > 0);
      assert.equal(errors, [], 'nothing to warn of');
      await claiming.close();
    } finally {
      console.error = write;
    }
  });

  test('a restarted consumer finishes the acknowledgement its checkpoint records, then takes back its own entries first', async () => {
    const stream = newStream();
    await publishRows(rowsSource(1000), `${redis.server.url}/${stream}`, { packRows: 10 });
    const a = source(stream, 'a', '&count=10');
    assert.equal(await consume(a, 400), range(400));
    const saved = JSON.parse(JSON.stringify(state(a, 200))); // the checkpoint, written; then the crash
    assert.equal(
      [saved.source.acknowledge.length, saved.source.partial.length],
      [20, 0],
      'the checkpoint holds only the entries it acknowledges',
    );
    assert.is(a.checkpointState().acknowledge.length, 40, 'without a mark: every unacknowledged entry');
    a.abandon();
    assert.is(await pending(stream), 40);
    const again = source(stream, 'a', '&count=10');
    await again.resumeFrom(saved);
    assert.is(await pending(stream), 20, "rows below the checkpoint's mark acknowledged on resume");
    const seen = await consume(again);
    assert.equal(seen, range(800, 200), 'its own pending entries (rows 200…399) first, then the new ones, each once');
    await again.checkpointed(state(again, again.stats.rows));
    assert.is(await pending(stream), 0);
    await again.close();
  });

  test('row-exact acknowledgement: a checkpoint holding some rows of an entry records them; delivered again (a restart, a claim), the entry brings only the rest', async () => {
    const stream = newStream();
    await publishRows(rowsSource(100), `${redis.server.url}/${stream}`, { packRows: 10 });
    const key = trainedKeyOf(stream, 'g');
    assert.is(
      key,
      `{${stream}}:trained:g`,
      "the stream's name is the hash tag: the hash lives on the stream's cluster slot",
    );
    const a = source(stream, 'a', '&claim-after=300');
    assert.equal(await consume(a, 100), range(100));
    // A checkpoint holds rows 0…24 and, trained out of order above the mark, 30, 31, 47 and 50…59.
    const above = [30, 31, 47, ...range(10, 50)];
    const saved: CheckpointedRows = JSON.parse(
      JSON.stringify({ rowsConsumed: 25, trainedAbove: above, source: a.checkpointState(25, above) }),
    );
    const sourceState = saved.source as RedisSourceState;
    assert.equal(sourceState.acknowledge.length, 3, 'entries 0, 1 and 5: all their rows in the checkpoint');
    assert.equal(
      sourceState.partial.map(([, rows]) => rows),
      [10, 10, 10],
      'entries 2, 3 and 4: some of their rows',
    );
    await a.checkpointed(saved);
    assert.is(await pending(stream), 7);
    assert.is(Number(await redis.admin.call('HLEN', key)), 3, 'a bitmap per partly trained entry');
    assert.equal(
      a.checkpointState(25, above),
      { stream, group: 'g', acknowledge: [], partial: [] },
      'recorded once: the same checkpoint again adds nothing',
    );
    a.abandon(); // the trainer dies

    // Restarted under the same name: its own pending entries bring only the rows no checkpoint holds.
    const again = source(stream, 'a', '&claim-after=300');
    const untrained = range(100).filter((i) => i >= 25 && !above.includes(i));
    const seen = await consume(again, untrained.length);
    assert.equal(seen, untrained, "rows 25…29, 32…46, 48, 49, 60…99: each once, none of the checkpoint's");
    assert.is(again.stats.rowsSkipped, 5 + 2 + 1);
    // The pass numbers what it delivered (0, 1, … over those rows); a checkpoint of its first 8 (rows 25…29, 32,
    // 33, 34) completes entry 2 (rows 20…29) and adds to entry 3's bitmap.
    await again.checkpointed({ rowsConsumed: 8, source: again.checkpointState(8) });
    assert.is(
      await pending(stream),
      6,
      'entry 2 acknowledged: its rows 20…24 in the first checkpoint, 25…29 in this one',
    );
    again.abandon(); // dies too, for good

    // Another consumer claims the entries: again only what no checkpoint holds.
    const b = source(stream, 'b', '&claim-after=300&end-after-idle=1500');
    const claimed = await consume(b);
    assert.equal(
      sorted(claimed),
      untrained.filter((i) => i >= 35),
      'claimed: rows 35…46, 48, 49, 60…99',
    );
    await b.checkpointed({ rowsConsumed: b.stats.rows, source: b.checkpointState(b.stats.rows) });
    assert.is(await pending(stream), 0);
    assert.is(Number(await redis.admin.call('HLEN', key)), 0, "bitmaps go with their entries' acknowledgement");
    await b.close();
  });

  test('an entry delivered again whose rows a checkpoint all holds is acknowledged at once, delivering nothing; a bitmap of the wrong length delivers every row again', async () => {
    const stream = newStream();
    await publishRows(rowsSource(20), `${redis.server.url}/${stream}`, { packRows: 10 });
    const a = source(stream, 'a');
    assert.equal(await consume(a), range(20));
    a.abandon();
    const key = trainedKeyOf(stream, 'g');
    const [[first], [second]] = (await redis.admin.call('XRANGE', stream, '-', '+')) as [string, unknown][];
    // As a consumer whose XACK never ran would leave it: every row recorded; and a bitmap of 1 byte for 10 rows.
    await redis.admin.hset(key, first, Buffer.from([0xff, 0x03]), second, Buffer.from([0x01]));
    const errors: string[] = [];
    const write = console.error;
    console.error = (line: string) => errors.push(line);
    const again = source(stream, 'a');
    try {
      assert.equal(await consume(again), range(10, 10));
    } finally {
      console.error = write;
    }
    assert.equal([again.stats.rowsSkipped, again.stats.acknowledged], [10, 1]);
    assert.match(
      errors.join('\n'),
      `entry ${second}: ${key}: expected a bitmap of 2 bytes for an entry of 10 rows, got 1 bytes; all its rows are delivered again`,
    );
    assert.is(await pending(stream), 1);
    await again.close();
  });

  test("trained-rows hash names: the stream's hash tag, or the tag it has", () => {
    assert.is(trainedKeyOf('mnist', 'g'), '{mnist}:trained:g');
    assert.is(trainedKeyOf('{mnist}:rows', 'g'), '{mnist}:rows:trained:g', 'a tag of its own carries over');
    assert.is(trainedKeyOf('a{}b', 'g'), 'a{}b:trained:g', "braces but no tag: no tag could give the stream's slot");
  });

  test('rowLengthOf takes nothing from the group; a pass broken off leaves nothing behind: the next pass delivers every row again from 0', async () => {
    const stream = newStream();
    await publishRows(rowsSource(500), `${redis.server.url}/${stream}`, { packRows: 10 });
    const a = source(stream, 'a');
    await rejectsWith(async () => {
      const first = a.open()[Symbol.asyncIterator]();
      const second = a.open()[Symbol.asyncIterator]();
      try {
        await first.next();
        await second.next();
      } finally {
        await first.return?.(undefined);
      }
    }, /a pass is already open/);
    const before = await pending(stream);
    assert.is(await rowLengthOf(a), D);
    assert.is(await pending(stream), before, 'the row length is read with XRANGE: no entry delivered');
    assert.equal(await consume(a, 100), range(100));
    const seen = await consume(a);
    assert.equal(seen, range(500), 'rows 0…99 again (pending, unacknowledged), then the rest');
    await a.checkpointed(state(a, 500));
    assert.is(await pending(stream), 0);
    await a.close();
  });

  test('entries held unacknowledged by a live consumer are kept alive: nobody claims them', async () => {
    const stream = newStream();
    await publishRows(rowsSource(300), `${redis.server.url}/${stream}`, { packRows: 10 });
    const a = source(stream, 'trainer%20one', '&claim-after=400&keep-alive=100'); // a name with a space, too
    assert.equal(await consume(a), range(300));
    await new Promise((r) => setTimeout(r, 1200)); // three claim-afters with the entries still held
    const b = source(stream, 'b', '&claim-after=400');
    assert.equal(await consume(b), [], 'b finds nothing to claim');
    assert.is(b.stats.claimed, 0);
    await a.checkpointed(state(a, 300));
    assert.is(await pending(stream), 0);
    await a.close();
    await b.close();
  });

  test('a bad entry stops the pass naming the stream, the entry and its failures; its max-deliveries-th failure moves it to <stream>:dead', async () => {
    const stream = newStream();
    await publishRows(rowsSource(20), `${redis.server.url}/${stream}`, { packRows: 10 });
    const badId = String(await redis.admin.call('XADD', stream, '*', 'd', '3', 't', 'f32', 'x', Buffer.alloc(13)));
    await publishRows(rowsSource(20, 20), `${redis.server.url}/${stream}`, { packRows: 10 });
    const a = source(stream, 'a', '&max-deliveries=2');
    let error: Error | null = null;
    const seen: number[] = [];
    try {
      for await (const block of a.open()) seen.push(block.values[0] * 65536);
    } catch (e) {
      error = e as Error;
    }
    assert.ok(error !== null, 'the first failure stops the pass');
    assert.match(
      error!.message,
      `${redis.server.url}/${stream}: entry ${badId}: expected 'x' to hold whole rows of 3 f32 values (12 bytes each), but it holds 13 bytes`,
    );
    assert.match(
      error!.message,
      `failure 1 of 2: the entry stays pending, and its 2nd failure moves it to {${stream}}:dead`,
    );
    assert.equal(seen, [0, 10], 'the rows before the bad entry');
    await a.checkpointed(state(a, a.stats.rows));
    a.abandon(); // the trainer dies on the bad entry; restarted, it reads its pending entries again
    const again = source(stream, 'a', '&max-deliveries=2');
    const letters: DeadLetter[] = [];
    again.onDeadLetter((d) => letters.push(d));
    assert.equal(await consume(again), range(20, 20), 'the second failure dead-letters it and the pass goes on');
    assert.equal([again.stats.deadLettered, again.stats.failures], [1, 1]);
    assert.is(letters.length, 1);
    assert.equal(
      [letters[0].id, letters[0].failures, letters[0].deadStream, letters[0].group, letters[0].consumer],
      [badId, 2, `{${stream}}:dead`, 'g', 'a'],
    );
    assert.match(
      deadLetterLine(letters[0]),
      `re-drive with: aevb publish --from ${redis.server.url}/{${stream}}:dead --to ${redis.server.url}/${stream}`,
    );
    const dead = (await redis.admin.call('XRANGE', `{${stream}}:dead`, '-', '+')) as [string, string[]][];
    assert.is(dead.length, 1);
    const fields = dead[0][1];
    assert.is(fields[fields.indexOf('source-id') + 1], badId);
    assert.is(fields[fields.indexOf('failures') + 1], '2');
    assert.match(fields[fields.indexOf('error') + 1], 'holds 13 bytes');
    assert.is(
      Number(await redis.admin.call('HLEN', `{${stream}}:failures`)),
      0,
      'the failure count goes with the entry',
    );
    await again.checkpointed(state(again, again.stats.rows));
    assert.is(await pending(stream), 0);
    await again.close();
  });

  test('aevb publish --data FILE --to redis://…/stream: packed entries a consumer reads back bit-identical', async () => {
    const stream = newStream();
    const file = join(mkdtempSync(join(tmpdir(), 'aevb-publish-')), 'rows.npy');
    const values = range(250).flatMap(rowOf);
    writeFileSync(file, npyBytes('<f4', [250, D], values));
    const bin = fileURLToPath(new URL('../bin/aevb.js', import.meta.url));
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, 'publish', '--data', file, '--to', `${redis.server.url}/${stream}`, '--pack-rows', '32'],
        { timeout: 60_000 },
        (error, stdout, stderr) => {
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
        },
      );
    });
    assert.is(run.code, 0, run.stderr);
    assert.match(run.stdout, `published 250 rows of ${file} in 8 entries to ${redis.server.url}/${stream}`);
    assert.is(Number(await redis.admin.call('XLEN', stream)), 8);
    const a = source(stream, 'a');
    assert.equal(await consume(a), range(250));
    await a.close();
  });
}

test.run();
