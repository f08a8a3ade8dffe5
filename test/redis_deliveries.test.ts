// Deliveries counted honestly, and a consumer that outlives its server, against a real redis-server: restarts,
// probes of the row length and clean starts dead-letter no healthy entry whatever max-deliveries is; a malformed
// entry goes to <stream>:dead at its max-deliveries-th failed processing without its healthy neighbours, and
// `aevb publish --from …:dead` re-drives it; a consumer reading when its server is killed (append-only file on)
// and started again 4 s later waits for it and delivers every row once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisSource, type DeadLetter } from '../src/data/redis/source.node.ts';
import { publishRows } from '../src/data/redis/publish.node.ts';
import { encodeEntry } from '../src/data/redis/entry.ts';
import { rowLengthOf } from '../src/data/read_rows.ts';
import type { RowSource } from '../src/data/row_source.ts';
import { redisSuite } from './redis_suite.ts';
import { startRedisServer } from './servers/redis_server.ts';

const D = 3;
/** Row i as f32 values in [0, 1], exact in float32 for i < 2¹⁶: every row says which it is. */
const rowOf = (i: number) => [i / 65536, i / 131072, 1 - i / 65536];
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const sorted = (a: number[]) => [...a].sort((x, y) => x - y);

function rowsSource(count: number, from = 0): RowSource {
  return {
    name: `${count} numbered rows`,
    async *open() {
      const values = new Float32Array(count * D);
      for (let r = 0; r < count; r++) values.set(rowOf(from + r), r * D);
      yield { values, rows: count, D, scale: 1 };
    },
  };
}

/**
 * The row numbers one pass of `source` delivers, until `maxRows` or the pass's end; with `pause` ms between
 * blocks (a slow trainer). An error ends the pass and is returned beside the rows.
 */
async function read(
  source: RowSource,
  o: { maxRows?: number; pause?: number; timeoutMs?: number } = {},
): Promise<{ ids: number[]; error: Error | null }> {
  const deadline = performance.now() + (o.timeoutMs ?? 20_000);
  const ids: number[] = [];
  try {
    for await (const block of source.open()) {
      for (let r = 0; r < block.rows; r++) {
        const v = [...block.values.subarray(r * D, (r + 1) * D)];
        const id = v[0] * 65536;
        assert.equal(v, rowOf(id), `row ${id} is intact`);
        ids.push(id);
      }
      if (ids.length >= (o.maxRows ?? Infinity)) break;
      if (performance.now() > deadline)
        throw new Error(`read: no end after ${o.timeoutMs ?? 20_000} ms (${ids.length} rows)`);
      if (o.pause) await new Promise((r) => setTimeout(r, o.pause));
    }
    return { ids, error: null };
  } catch (error) {
    return { ids, error: error as Error };
  }
}

const redis = redisSuite(test, 'the Redis delivery tests', 'deliveries');
if (redis !== null) {
  const { newStream, keep } = redis;
  const source = (url: string, params = '') => {
    const s = redisSource(`${url}?group=g&consumer=trainer&block=100&end-after-idle=500${params}`);
    keep(s);
    return s;
  };
  const deadCount = async (stream: string) => Number(await redis.admin.call('XLEN', `{${stream}}:dead`));
  /** Redis's own delivery counts of the pending entries. */
  const redisDeliveries = async (stream: string) =>
    ((await redis.admin.call('XPENDING', stream, 'g', '-', '+', 1000)) as [string, string, number, number][]).map((p) =>
      Number(p[3]),
    );

  test('10 restarts of a consumer (probe the row length, read some, stop without acknowledging): no healthy entry dead-lettered at the default max-deliveries', async () => {
    const stream = newStream();
    await publishRows(rowsSource(300), `${redis.server.url}/${stream}`, { packRows: 10 });
    for (let start = 1; start <= 10; start++) {
      const s = source(`${redis.server.url}/${stream}`);
      assert.is(await rowLengthOf(s), D, "the CLI's set-up probe");
      const { ids, error } = await read(s, { maxRows: 50 + 20 * start });
      assert.is(error, null);
      assert.is(ids[0], 0, `start ${start} takes back its own pending entries first`);
      assert.is(s.stats.deadLettered, 0);
      if (start % 2 === 0)
        s.abandon(); // a crash (kill -9)
      else await s.close(); // a stop that never reached a checkpoint
    }
    assert.ok(
      Math.max(...(await redisDeliveries(stream))) >= 10,
      'Redis counted every read of a pending entry as a delivery',
    );
    const last = source(`${redis.server.url}/${stream}`);
    const letters: DeadLetter[] = [];
    last.onDeadLetter((d) => letters.push(d));
    const { ids, error } = await read(last);
    assert.is(error, null);
    assert.equal(sorted(ids), range(300), 'every row, once');
    assert.equal(
      [last.stats.deadLettered, letters.length, await deadCount(stream)],
      [0, 0, 0],
      'nothing dead-lettered',
    );
    await last.close();
  });

  test('max-deliveries=1: one clean start (probe, then the pass) dead-letters nothing and delivers every row', async () => {
    const stream = newStream();
    await publishRows(rowsSource(3000), `${redis.server.url}/${stream}`, { packRows: 100 });
    const s = source(`${redis.server.url}/${stream}`, '&max-deliveries=1');
    assert.is(await rowLengthOf(s), D);
    const { ids, error } = await read(s);
    assert.is(error, null);
    assert.equal(sorted(ids), range(3000));
    assert.equal([s.stats.deadLettered, await deadCount(stream)], [0, 0]);
    await s.close();
  });

  test('malformed entries (no x, t=u16, d=abc, a partial row, NaN) go to <stream>:dead at their 5th failure; their healthy neighbours are all delivered; `aevb publish --from` re-drives them', async () => {
    const stream = newStream();
    const url = `${redis.server.url}/${stream}`;
    const f32 = (values: number[]) =>
      encodeEntry(Float32Array.from(values), D).map((f) =>
        typeof f === 'string' ? f : Buffer.from(f.buffer, f.byteOffset, f.byteLength),
      );
    const healthy = async (from: number) =>
      redis.admin.call('XADD', stream, '*', ...f32(range(5, from).flatMap(rowOf)));
    const bad: [string, (string | Buffer)[]][] = [
      ['no x', ['d', '3', 't', 'f32']],
      ['t=u16', ['d', '3', 't', 'u16', 'x', Buffer.alloc(6)]],
      ['d=abc', ['d', 'abc', 't', 'u8', 'x', Buffer.alloc(3)]],
      ['a partial row', ['d', '3', 't', 'u8', 'x', Buffer.alloc(4)]],
      ['NaN', f32([0.5, Number.NaN, 0.5])],
    ];
    const badIds: string[] = [];
    let next = 0;
    for (const [, fields] of bad) {
      for (let i = 0; i < 5; i++, next += 5) await healthy(next); // five healthy entries before each bad one
      badIds.push(String(await redis.admin.call('XADD', stream, '*', ...fields)));
    }
    for (let i = 0; i < 5; i++, next += 5) await healthy(next);
    // A trainer that dies on each failure and is restarted, never reaching a checkpoint: the worst case for the
    // healthy entries, which are delivered again at every start.
    const letters: DeadLetter[] = [];
    let starts = 0;
    let ids: number[] = [];
    for (;;) {
      assert.ok(++starts <= 5 * bad.length + 1, `no more than ${5 * bad.length + 1} starts`);
      const s = source(url);
      s.onDeadLetter((d) => letters.push(d));
      assert.is(await rowLengthOf(s), D);
      const pass = await read(s);
      s.abandon();
      if (pass.error === null) {
        ids = pass.ids;
        break;
      }
      assert.match(pass.error.message, `${url}: entry `);
    }
    assert.is(starts, 4 * bad.length + 1, 'four failing starts per bad entry; the fifth failure moves it on');
    assert.equal(sorted(ids), range(next), 'the last pass delivers every healthy row, once');
    assert.equal(
      letters.map((d) => d.id),
      badIds,
      'exactly the bad entries were dead-lettered, in order',
    );
    assert.ok(letters.every((d) => d.failures === 5));
    const dead = (await redis.admin.call('XRANGE', `{${stream}}:dead`, '-', '+')) as [string, string[]][];
    assert.equal(
      dead.map(([, f]) => f[f.indexOf('source-id') + 1]),
      badIds,
    );
    assert.match(dead[4][1][dead[4][1].indexOf('error') + 1], 'is NaN');

    // Re-drive: the dead letters go back to the stream as new entries with their own fields only.
    const bin = fileURLToPath(new URL('../bin/aevb.js', import.meta.url));
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, 'publish', '--from', `${redis.server.url}/{${stream}}:dead`, '--to', url],
        { timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
    assert.is(run.code, 0, run.stderr);
    assert.match(run.stdout, `re-drove 5 entries from ${redis.server.url}/{${stream}}:dead to ${url}`);
    assert.is(await deadCount(stream), 0);
    const back = (await redis.admin.call('XRANGE', stream, `(${badIds.at(-1)}`, '+')) as [string, string[]][];
    const redriven = back.slice(5); // after the five healthy entries that followed the last bad one
    assert.equal(
      redriven.map(([, f]) => f.filter((_, i) => i % 2 === 0)),
      bad.map(([, f]) => f.filter((_, i) => i % 2 === 0).map(String)),
      "only the entries' own fields",
    );
  });

  test('a consumer waits out its server: killed mid-read (append-only file on) and started again on the same port 4 s later, every row arrives once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aevb-redis-aof-'));
    const durable = await startRedisServer({ appendOnlyDir: dir });
    const lines: string[] = [];
    const print = console.error;
    console.error = (...args: unknown[]) => lines.push(args.join(' '));
    try {
      await publishRows(rowsSource(2000), `${durable.url}/rows`, { packRows: 10 });
      const s = redisSource(
        `${durable.url}/rows?group=g&consumer=c&count=4&block=200&end-after-idle=1500&reconnect-for=20000`,
      );
      keep(s);
      const reading = read(s, { pause: 10, timeoutMs: 40_000 });
      const started = performance.now();
      while (s.stats.rows < 400) await new Promise((r) => setTimeout(r, 20));
      await durable.kill();
      await new Promise((r) => setTimeout(r, 4000));
      await durable.restart();
      const { ids, error } = await reading;
      console.error = print;
      assert.is(error, null, `the pass went on: ${error?.message}`);
      assert.is(ids.length, 2000, 'no row twice');
      assert.equal(sorted(ids), range(2000), 'no row lost');
      assert.ok(
        lines.some((l) => /connection lost.*retrying for up to 20 s/.test(l)),
        `said so while waiting: ${lines.join(' | ')}`,
      );
      assert.ok(
        lines.some((l) => /connected again after \d+\.\d s/.test(l)),
        lines.join(' | '),
      );
      console.log(
        `  outage: ${ids.length} rows, ${((performance.now() - started) / 1000).toFixed(1)} s; ${lines.join(' | ')}`,
      );
      await s.close();
    } finally {
      console.error = print;
      await durable.stop();
    }
  });

  test('past reconnect-for the consumer gives up with an error naming the URL and the budget', async () => {
    const doomed = await startRedisServer();
    const print = console.error;
    console.error = () => {};
    try {
      await publishRows(rowsSource(200), `${doomed.url}/rows`, { packRows: 10 });
      const s = redisSource(`${doomed.url}/rows?group=g&consumer=c&count=2&block=100&reconnect-for=1000`);
      keep(s);
      const reading = read(s, { pause: 20 });
      while (s.stats.rows < 40) await new Promise((r) => setTimeout(r, 10));
      await doomed.kill();
      const started = performance.now();
      const { error } = await reading;
      const waited = performance.now() - started;
      assert.ok(error !== null);
      assert.match(error!.message, `${doomed.url}/rows: `);
      assert.match(error!.message, 'after retrying the connection for 1 s (reconnect-for)');
      assert.ok(waited >= 900 && waited < 5000, `gave up after ${waited.toFixed(0)} ms`);
      s.abandon();
    } finally {
      console.error = print;
      await doomed.stop();
    }
  });
}

test.run();
