// Sharded HTTP(S) sources (src/data/http_shards.ts, brace_range.ts) against a local server that drops
// connections mid-body and changes files (test/servers/flaky_http_server.ts): brace ranges expand as a shell
// would; the shard order is a seeded permutation per epoch; shard-of partitions the list; rows and the training
// minibatches made from them are bit-identical through 3 dropped connections (resumed with Range + If-Match);
// a shard that changes underneath is an error, never mixed; retries are bounded. A shard is read to its whole
// length, never fewer rows: a close-delimited response (no Content-Length) cut on a row boundary is resumed —
// from the .npy header's length, or, for raw rows, after a Range request that finds more — and a shard shorter
// than its header says is an error. A server with neither ETag nor Last-Modified is never resumed unless allowed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expandBraceRanges } from '../src/data/brace_range.ts';
import { httpShardsSource, parseShardOf, shardOrder, shardsOf } from '../src/data/http_shards.ts';
import type { RowSource } from '../src/data/row_source.ts';
import { remoteSourceFor } from '../src/data/remote_source.node.ts';
import { RedisStreamSource } from '../src/data/redis/source.node.ts';
import { streamBatches } from './stream_batches.ts';
import { npyBytes } from './npy_writer.ts';
import { seededUniform } from './seeded_random.ts';
import { rejectsWith, throwsWith } from './gpu_suite.ts';
import { startFlakyHttpServer, type FlakyHttpServer } from './servers/flaky_http_server.ts';

const D = 5;
const ROWS_PER_SHARD = 60;
const SHARDS = 4;

let server: FlakyHttpServer;
let pattern: string;

test.before(async () => {
  server = await startFlakyHttpServer();
  for (let i = 0; i < SHARDS; i++)
    server.put(
      `/data/shard-${String(i).padStart(3, '0')}.npy`,
      npyBytes('<f4', [ROWS_PER_SHARD, D], seededUniform(100 + i, ROWS_PER_SHARD * D)),
    );
  pattern = `${server.url}/data/shard-{000..${String(SHARDS - 1).padStart(3, '0')}}.npy`;
});
test.after(async () => {
  await server?.close();
});

async function allValues(source: RowSource): Promise<Float32Array> {
  const parts: number[] = [];
  for await (const block of source.open()) parts.push(...block.values);
  return Float32Array.from(parts);
}

const sameBits = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && Buffer.from(a.buffer).equals(Buffer.from(b.buffer));

test('brace ranges expand like a shell: zero padding, descending, several ranges; anything else in braces is refused', () => {
  assert.equal(expandBraceRanges('s-{000..003}.npy'), ['s-000.npy', 's-001.npy', 's-002.npy', 's-003.npy']);
  assert.equal(expandBraceRanges('p{8..10}'), ['p8', 'p9', 'p10']);
  assert.equal(expandBraceRanges('p{2..0}'), ['p2', 'p1', 'p0']);
  assert.equal(expandBraceRanges('{0..1}/{00..01}'), ['0/00', '0/01', '1/00', '1/01']);
  assert.equal(expandBraceRanges('https://h/plain.npy'), ['https://h/plain.npy']);
  throwsWith(() => expandBraceRanges('s-{a,b}.npy'), ['s-{a,b}.npy', 'numeric range like {000..099}', "stray '{'"]);
  throwsWith(() => expandBraceRanges('s-{0..3.npy'), ["stray '{'"]);
  throwsWith(() => expandBraceRanges('{0..999}{0..9999}'), ['expands to more than 1000000 names']);
});

test('shard order: a seeded permutation, the same for the same seed and epoch, another for another epoch', () => {
  const shards = expandBraceRanges('s{00..19}');
  const e0 = shardOrder(shards, 7, 0);
  assert.equal([...e0].sort(), shards, 'a permutation');
  assert.equal(shardOrder(shards, 7, 0), e0, 'reproducible');
  assert.not.equal(shardOrder(shards, 7, 1), e0, 'epoch 1 reads in another order');
  assert.not.equal(shardOrder(shards, 8, 0), e0, 'another seed, another order');
  assert.not.equal(e0, shards, 'not the list order');
});

test('shard-of i/N: every shard to exactly one trainer; impossible splits refused', () => {
  const shards = expandBraceRanges('s{0..9}');
  const parts = [0, 1, 2].map((index) => shardsOf(shards, { index, count: 3 }, 'x'));
  assert.equal(parts[0], ['s0', 's3', 's6', 's9']);
  assert.equal(parts.flat().sort(), [...shards].sort());
  throwsWith(() => shardsOf(shards, { index: 3, count: 3 }, 'x'), ['shard-of must be i/N with 0 ≤ i < N', '3/3']);
  throwsWith(() => shardsOf(shards, { index: 0, count: 11 }, 'x'), ['more trainers than the 10 shards']);
  assert.equal(parseShardOf('1/3'), { index: 1, count: 3 });
  throwsWith(() => parseShardOf('3/3'), ['--shard-of must be i/N with 0 ≤ i < N', "'3/3'"]);
  throwsWith(() => parseShardOf('1'), ["'1'"]);
  const source = httpShardsSource('http://h/s{0..9}.npy', { seed: 1, shardOf: parseShardOf('1/3') });
  assert.equal(source.shards, ['http://h/s1.npy', 'http://h/s4.npy', 'http://h/s7.npy']);
});

test('rows and training minibatches are bit-identical through 3 dropped connections, resumed with Range and If-Match', async () => {
  const unbroken = await allValues(httpShardsSource(pattern, { seed: 3 }));
  assert.is(unbroken.length, SHARDS * ROWS_PER_SHARD * D);
  server.requests.length = 0;
  server.dropNext(3, 301);
  const resumed = await allValues(httpShardsSource(pattern, { seed: 3, backoffMs: 5 }));
  assert.ok(sameBits(resumed, unbroken), 'the same bits');
  const first = server.requests[0];
  const etag = server.requests[1].ifMatch;
  assert.match(etag ?? '', /^"v\d+"$/, 'the resumed request sends back the first ETag');
  assert.equal(
    server.requests.slice(0, 4).map((r) => [r.path, r.range, r.ifMatch, r.status]),
    [
      [first.path, null, null, 200],
      [first.path, 'bytes=301-', etag, 206],
      [first.path, 'bytes=602-', etag, 206],
      [first.path, 'bytes=903-', etag, 206],
    ],
  );
  assert.is(server.requests.length, SHARDS + 3);
  // The whole data side of a run — shuffle window, minibatches, binarization — sees the same bytes too.
  const batches = async () => {
    return streamBatches({
      source: httpShardsSource(pattern, { seed: 3, backoffMs: 5 }),
      B: 16,
      seed: 3,
      shuffleWindowRows: 50,
      binarize: true,
      epochs: 2,
    });
  };
  const clean = await batches();
  server.dropNext(3, 1000);
  const broken = await batches();
  assert.is(broken.length, clean.length);
  assert.is(clean.length, 2 * Math.floor((SHARDS * ROWS_PER_SHARD) / 16));
  for (let i = 0; i < clean.length; i++) assert.ok(sameBits(broken[i].data, clean[i].data), `minibatch ${i}`);
});

test('a server that ignores Range (200 with the whole file) still resumes at the right byte', async () => {
  const unbroken = await allValues(httpShardsSource(pattern, { seed: 4 }));
  server.ignoreRange = true;
  try {
    server.dropNext(2, 777);
    assert.ok(sameBits(await allValues(httpShardsSource(pattern, { seed: 4, backoffMs: 5 })), unbroken));
  } finally {
    server.ignoreRange = false;
  }
});

test('a stalled connection (open, silent) is abandoned after the stall timeout and resumed: the same bits', async () => {
  const unbroken = await allValues(httpShardsSource(pattern, { seed: 5 }));
  server.requests.length = 0;
  server.stallNext(2, 400);
  const resumed = await allValues(httpShardsSource(pattern, { seed: 5, backoffMs: 5, stallTimeoutMs: 150 }));
  assert.ok(sameBits(resumed, unbroken));
  assert.equal(
    server.requests.slice(0, 3).map((r) => r.range),
    [null, 'bytes=400-', 'bytes=800-'],
  );
});

test('a consumer that pauses longer than the stall timeout (back-pressure) is not a stall: no request is repeated', async () => {
  server.requests.length = 0;
  let blocks = 0;
  for await (const _ of httpShardsSource(pattern, { seed: 5, stallTimeoutMs: 100 }).open()) {
    if (blocks++ < 2) await new Promise((r) => setTimeout(r, 300));
  }
  assert.equal(
    server.requests.map((r) => r.range),
    Array(SHARDS).fill(null),
  );
});

test('a shard that changes on the server mid-read is an error naming it, never two versions mixed', async () => {
  const path = '/data/shard-002.npy';
  const changed = npyBytes('<f4', [ROWS_PER_SHARD, D], seededUniform(999, ROWS_PER_SHARD * D));
  server.dropNext(1, 500, () => server.put(path, changed));
  const source = httpShardsSource(`${server.url}${path}`, { seed: 1, backoffMs: 5 });
  await rejectsWith(
    () => allValues(source),
    new RegExp(
      `${server.url}${path}: the shard changed on the server while it was being read \\(it was first served with ETag "v\\d+"; the server answers 412 Precondition Failed.*refusing to mix two versions`,
    ),
  );
});

test('a shard that changes between epochs is an error too', async () => {
  const path = '/data/shard-001.npy';
  const source = httpShardsSource(`${server.url}${path}`, { seed: 1 });
  assert.is((await allValues(source)).length, ROWS_PER_SHARD * D);
  server.put(path, npyBytes('<f4', [ROWS_PER_SHARD, D], seededUniform(998, ROWS_PER_SHARD * D)));
  await rejectsWith(() => allValues(source), /shard-001\.npy: the shard changed on the server/);
});

test('retries are bounded: a connection that keeps dropping without progress is given up, naming the byte', async () => {
  server.dropNext(100, 0);
  try {
    await rejectsWith(
      () => allValues(httpShardsSource(pattern, { seed: 1, retries: 2, backoffMs: 5 })),
      /shard-\d{3}\.npy: gave up after 2 retries in a row at byte 0 of \d+ \(last: the connection dropped/,
    );
  } finally {
    server.dropNext(0, 0);
  }
  await rejectsWith(
    () => allValues(httpShardsSource(`${server.url}/data/missing-{0..1}.npy`, { seed: 1 })),
    /missing-[01]\.npy: HTTP 404/,
  );
});

/** `count` raw f32 rows of D values. */
const rawRows = (seed: number, count: number) =>
  new Uint8Array(Float32Array.from(seededUniform(seed, count * D)).buffer);

/** Runs `body` with the server in a mode, and leaves it as it was. */
async function withServer(
  mode: Partial<Pick<FlakyHttpServer, 'noLength' | 'noValidators' | 'ignoreRange'>>,
  body: () => Promise<void>,
): Promise<void> {
  Object.assign(server, mode);
  try {
    await body();
  } finally {
    Object.assign(server, { noLength: false, noValidators: false, ignoreRange: false });
    server.dropNext(0, 0);
  }
}

test('a close-delimited raw shard cut on a row boundary is not taken for its end: a Range request finds the rest, every row is read', async () => {
  const path = '/raw/cut-on-row.f32';
  const rows = rawRows(40, 200);
  server.put(path, rows);
  const source = () => httpShardsSource(`${server.url}${path}`, { seed: 1, format: 'raw-f32', dim: D, backoffMs: 5 });
  await withServer({ noLength: true }, async () => {
    server.requests.length = 0;
    assert.ok(sameBits(await allValues(source()), new Float32Array(rows.buffer)), 'whole: the same bits');
    assert.equal(
      server.requests.map((r) => [r.range, r.status]),
      [
        [null, 200],
        [`bytes=${rows.length}-`, 416],
      ],
      'the end confirmed by a 416',
    );
    server.requests.length = 0;
    server.dropNext(1, 70 * D * 4); // 70 whole rows, then the connection closes: to the client, an ordinary end
    const read = await allValues(source());
    assert.is(read.length / D, 200, `${read.length / D} rows of 200`);
    assert.ok(sameBits(read, new Float32Array(rows.buffer)));
    // The 206's Content-Range gives the total: no second probe.
    assert.equal(
      server.requests.map((r) => [r.range, r.status]),
      [
        [null, 200],
        [`bytes=${70 * D * 4}-`, 206],
      ],
    );
  });
});

test('a close-delimited .npy shard cut short is resumed from the length its header gives; one shorter than its header is an error', async () => {
  const path = '/npy/cut.npy';
  const values = seededUniform(41, 100 * D);
  server.put(path, npyBytes('<f4', [100, D], values));
  await withServer({ noLength: true }, async () => {
    server.requests.length = 0;
    server.dropNext(1, 128 + 30 * D * 4);
    const read = await allValues(httpShardsSource(`${server.url}${path}`, { seed: 1, backoffMs: 5 }));
    assert.ok(sameBits(read, Float32Array.from(values)), 'every row, the same bits');
    assert.equal(
      server.requests.map((r) => r.range),
      [null, `bytes=${128 + 30 * D * 4}-`],
      'resumed, no probe needed',
    );
    // The file itself is short: its header promises 100 rows, it holds 80.
    const short = npyBytes('<f4', [100, D], values).subarray(0, 128 + 80 * D * 4);
    server.put('/npy/short.npy', short);
    await rejectsWith(
      () => allValues(httpShardsSource(`${server.url}/npy/short.npy`, { seed: 1, backoffMs: 5 })),
      /short\.npy: the shard is short: it ends at byte 1728, but 2128 bytes its header promises \(416 Range Not Satisfiable.*refusing a shard with fewer rows than it says/,
    );
  });
});

test('a close-delimited raw shard from a server that ignores Range: its end cannot be checked, so it is refused', async () => {
  const path = '/raw/no-range.f32';
  server.put(path, rawRows(42, 50));
  await withServer({ noLength: true, ignoreRange: true }, async () => {
    await rejectsWith(
      () => allValues(httpShardsSource(`${server.url}${path}`, { seed: 1, format: 'raw-f32', dim: D })),
      /no-range\.f32: the response ended at byte 1000 with no length to check it against.*the server ignores Range requests.*serve it with Content-Length, or use a format whose header gives the length/,
    );
  });
});

test('a server with neither ETag nor Last-Modified: a dropped read is refused, never resumed into a shard that may have been rewritten, unless allowed', async () => {
  const path = '/unvalidated/shard.npy';
  const first = seededUniform(43, ROWS_PER_SHARD * D);
  server.put(path, npyBytes('<f4', [ROWS_PER_SHARD, D], first));
  await withServer({ noValidators: true }, async () => {
    const url = `${server.url}${path}`;
    // Whole reads need no validator.
    assert.ok(sameBits(await allValues(httpShardsSource(url, { seed: 1 })), Float32Array.from(first)));
    // The case: the shard is rewritten while the connection is down; before, the rest of the new version was mixed in.
    server.dropNext(1, 500, () =>
      server.put(path, npyBytes('<f4', [ROWS_PER_SHARD, D], seededUniform(44, ROWS_PER_SHARD * D))),
    );
    await rejectsWith(
      () => allValues(httpShardsSource(url, { seed: 1, backoffMs: 5 })),
      /shard\.npy: the read stopped at byte 500 of 1328 and would resume with a Range request, but the server gave this shard neither an ETag nor a Last-Modified.*refusing it.*allowUnvalidated, or '#allow-unvalidated'/,
    );
    // Allowed (the library's option, or the URL's fragment): resumed, the same bits when nothing changed.
    server.put(path, npyBytes('<f4', [ROWS_PER_SHARD, D], first));
    server.dropNext(1, 500);
    assert.ok(
      sameBits(
        await allValues(httpShardsSource(url, { seed: 1, backoffMs: 5, allowUnvalidated: true })),
        Float32Array.from(first),
      ),
    );
    server.requests.length = 0;
    server.dropNext(1, 700);
    assert.ok(
      sameBits(
        await allValues(httpShardsSource(`${url}#allow-unvalidated`, { seed: 1, backoffMs: 5 })),
        Float32Array.from(first),
      ),
    );
    assert.equal(
      server.requests.map((r) => [r.path, r.range]),
      [
        [path, null],
        [path, 'bytes=700-'],
      ],
      'the fragment is not sent',
    );
  });
  throwsWith(
    () => httpShardsSource(`${server.url}${path}#unchecked`, { seed: 1 }),
    ["the fragment's 'unchecked' is not an option of aevb's", '#allow-unvalidated, #deadline=SECONDS'],
  );
});

/** How a read of `source` ended: its error's message (or 'done'), and the seconds it took. */
async function outcome(source: RowSource): Promise<{ message: string; seconds: number }> {
  const started = performance.now();
  try {
    for await (const _ of source.open());
    return { message: 'done', seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    return { message: (error as Error).message, seconds: (performance.now() - started) / 1000 };
  }
}

const twelveKb = () => npyBytes('<f4', [614, D], seededUniform(9, 614 * D)); // 12 408 bytes, as the red team's

test('a server that sends half of what is left and stalls, again and again, fails the minimum rate (progress kept resetting the retries)', async () => {
  server.put('/hostile/halving.npy', twelveKb());
  server.halveNext(1000);
  const { message, seconds } = await outcome(
    httpShardsSource(`${server.url}/hostile/halving.npy`, {
      seed: 1,
      backoffMs: 5,
      stallTimeoutMs: 100,
      limits: { minBytesPerSecond: 2000, rateWindowMs: 400 },
    }),
  );
  server.halveNext(0);
  assert.match(
    message,
    /halving\.npy: \d+ bytes arrived in 0\.4 s \(at byte \d+ of 12408\), below the minimum rate of 2000 bytes\/s/,
  );
  assert.match(message, '#min-rate=BYTES_PER_SECOND');
  assert.ok(seconds < 3, `gave up after ${seconds.toFixed(1)} s`);
});

test('a server that sends a byte at a time, never silent for long, fails the minimum rate', async () => {
  server.put('/hostile/dribble.npy', twelveKb());
  server.dribbleNext(1, 1, 20);
  const { message, seconds } = await outcome(
    httpShardsSource(`${server.url}/hostile/dribble.npy#min-rate=200&rate-window=0.5`, {
      seed: 1,
      stallTimeoutMs: 1000,
    }),
  );
  assert.match(
    message,
    /dribble\.npy: \d+ bytes arrived in 0\.5 s .*below the minimum rate of 200 bytes\/s over 0\.5 s/,
  );
  assert.ok(seconds < 2, `gave up after ${seconds.toFixed(1)} s`);
});

test('a read that keeps the rate but never ends meets its deadline; time the consumer holds a chunk does not count', async () => {
  server.put('/hostile/endless.npy', twelveKb());
  server.dribbleNext(1, 64, 20); // 3 200 bytes/s: above the rate, 4 s for the shard
  const { message, seconds } = await outcome(
    httpShardsSource(`${server.url}/hostile/endless.npy#deadline=0.6&min-rate=100&rate-window=0.2`, { seed: 1 }),
  );
  assert.match(
    message,
    /endless\.npy: the read took longer than its deadline of 0\.6 s of network time \(at byte \d+ of 12408\)/,
  );
  assert.ok(seconds < 2, `gave up after ${seconds.toFixed(1)} s`);
  // A healthy shard read by a slow consumer: 3 × 300 ms held, far past a 0.25 s deadline, and still no failure.
  let blocks = 0;
  for await (const _ of httpShardsSource(`${pattern}#deadline=0.25`, { seed: 5 }).open())
    if (blocks++ < 3) await new Promise((r) => setTimeout(r, 300));
  assert.ok(blocks >= 4);
  throwsWith(
    () => httpShardsSource(`${pattern}#deadline=0`, { seed: 1 }),
    ["'deadline=0' is not an option", 'each number > 0'],
  );
});

test('a redirect to file: (or any scheme but http and https) is refused as such, at once, never retried', async () => {
  server.redirect('/hostile/to-file.npy', 'file:///etc/passwd');
  server.requests.length = 0;
  const { message } = await outcome(httpShardsSource(`${server.url}/hostile/to-file.npy`, { seed: 1, backoffMs: 5 }));
  assert.match(
    message,
    "to-file.npy: the server redirects to file: URL 'file:///etc/passwd'; only http: and https: redirects are followed",
  );
  assert.is(server.requests.length, 1, 'one request, no retries');
  // An http redirect is followed.
  server.redirect('/hostile/moved.npy', '/data/shard-000.npy');
  const moved = await allValues(httpShardsSource(`${server.url}/hostile/moved.npy`, { seed: 1 }));
  assert.is(moved.length, ROWS_PER_SHARD * D);
});

test('.npy.gz shards are refused up front, naming the shard and what is expected', () => {
  throwsWith(
    () => httpShardsSource(`${server.url}/data/shard-{000..001}.npy.gz`, { seed: 1 }),
    [
      'shard-000.npy.gz (shard 1 of 2 of',
      'a .gz shard is not gunzipped when read over HTTP',
      'expected .npy, IDX or raw rows served uncompressed',
    ],
  );
});

test('a brace range of a million names is not held as a list: a few MB, not 572', () => {
  const before = process.memoryUsage().heapUsed;
  const source = httpShardsSource('http://h/s-{000000..999999}.npy', { seed: 1, shardOf: { index: 3, count: 4 } });
  const grown = (process.memoryUsage().heapUsed - before) / 2 ** 20;
  assert.ok(grown < 20, `the source holds ${grown.toFixed(1)} MB`);
  assert.is(source.shards.length, 250_000);
  assert.is(source.shards[1], 'http://h/s-000007.npy');
  throwsWith(
    () => httpShardsSource('http://h/s-{0..999}{0..9999}.npy', { seed: 1 }),
    ['expands to more than 1000000 names (the limit on one pattern'],
  );
});

test('--data: redis:// is a stream, http(s):// shards (brace ranges expanded), anything else a path', () => {
  const shards = remoteSourceFor('https://h/s-{0..3}.npy', { seed: 1, shardOf: parseShardOf('1/2') }) as ReturnType<
    typeof httpShardsSource
  >;
  assert.equal(shards.shards, ['https://h/s-1.npy', 'https://h/s-3.npy']);
  assert.ok(remoteSourceFor('redis://h:1/s?group=g&consumer=c', { seed: 1 }) instanceof RedisStreamSource);
  assert.is(remoteSourceFor('data/train.npy', { seed: 1 }), null);
  throwsWith(
    () => remoteSourceFor('redis://h:1/s?group=g&consumer=c', { seed: 1, shardOf: parseShardOf('0/2') }),
    ['--shard-of splits HTTP(S) shards'],
  );
  throwsWith(() => remoteSourceFor('https://h/s.bin', { seed: 1 }), ['https://h/s.bin: cannot tell the format']);
});

test.run();
