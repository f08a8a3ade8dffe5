// A Redis stream's standing while `aevb train` reads it (issue 21, observability): `stream` records in
// metrics.jsonl — the group's lag, pending entries (the group's and this consumer's), dead letters and rows/s —
// at most one a second during the run and one at its end, and the same words on the progress line. A real
// redis-server, a real `aevb train` (lavapipe or any adapter), a stream with one malformed entry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redisServerInstalled, startRedisServer, type RedisServer } from './servers/redis_server.ts';
import { npyBytes } from './npy_writer.ts';
import { seededUniform } from './seeded_random.ts';
import type { StreamRecord } from '../src/cli/stream_report.node.ts';
import { runAevb } from './cli_process.ts';

let server: RedisServer | null = null;

const aevb = (...args: string[]) => runAevb(args, 180_000);

test.before(async () => {
  if (redisServerInstalled('redis_stream_report')) server = await startRedisServer();
});
test.after(async () => {
  await server?.stop();
});

test('stream records: lag falls to 0, pending within the group, the dead letter counted, rows/s > 0; the progress line says the same', async () => {
  if (server === null) return;
  const rows = 40_000;
  const file = join(mkdtempSync(join(tmpdir(), 'aevb-stream-report-')), 'rows.npy');
  writeFileSync(file, npyBytes('<f4', [rows, 16], seededUniform(3, rows * 16)));
  const url = `${server.url}/watched`;
  assert.is((await aevb('publish', '--data', file, '--to', url, '--pack-rows', '50')).code, 0);
  const redis = new Redis(server.url);
  try {
    await redis.call('XADD', 'watched', '*', 'd', '16', 't', 'u8', 'x', Buffer.alloc(17));
  } finally {
    redis.disconnect();
  }
  const out = mkdtempSync(join(tmpdir(), 'aevb-stream-report-out-'));
  const started = performance.now();
  const run = await aevb(
    'train',
    '--data',
    `${url}?group=g&consumer=c1&count=1&end-after-idle=1500&max-deliveries=1`,
    '--hidden',
    '8',
    '--latent',
    '2',
    '--batch',
    '20',
    '--shuffle-window',
    '200',
    '--no-binarize',
    '--metrics-every',
    '5',
    '--checkpoint-every',
    '50',
    '--out',
    out,
  );
  const seconds = (performance.now() - started) / 1000;
  assert.is(run.code, 0, run.stderr);
  const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const stream = records.filter((r) => r.type === 'stream') as StreamRecord[];
  console.log(
    `  ${stream.length} stream records in a ${seconds.toFixed(1)} s run; first ${JSON.stringify(stream[0])}; last ${JSON.stringify(stream.at(-1))}`,
  );
  assert.ok(stream.length >= 2, `records during the run and at its end (${stream.length})`);
  assert.ok(stream.length <= seconds + 2, `at most one a second (${stream.length} in ${seconds.toFixed(1)} s)`);
  for (const r of stream) {
    assert.equal([r.stream, r.group, r.consumer], [url, 'g', 'c1']);
    assert.ok(
      r.lag !== null && r.lag >= 0 && r.lag <= rows / 50 + 1,
      `lag ${r.lag} within the stream's ${rows / 50 + 1} entries`,
    );
    assert.ok(r.pending >= 0 && r.pending <= r.group_pending, `pending ${r.pending} ≤ the group's ${r.group_pending}`);
    assert.ok(r.rows >= 0 && r.rows <= rows && Number.isFinite(r.rows_per_second) && r.rows_per_second >= 0);
  }
  const during = stream.slice(0, -1);
  assert.ok(
    during.some((r) => r.lag! > 0 && r.rows_per_second > 0),
    'during the run: entries still to come, rows flowing',
  );
  for (let i = 1; i < stream.length; i++)
    assert.ok(
      stream[i].lag! <= stream[i - 1].lag! && stream[i].rows >= stream[i - 1].rows,
      'lag never grows, rows never shrink',
    );
  const last = stream.at(-1)!;
  assert.equal(
    [last.lag, last.rows, last.dead_lettered, last.dead_letters],
    [0, rows, 1, 1],
    'at the end: all delivered, every row taken, the one dead letter',
  );
  assert.ok(
    last.pending <= 1 && last.group_pending === last.pending,
    `at most the last partial minibatch's entry pending (${last.pending})`,
  );
  // The progress line (stderr is no terminal: a line every 15 s and at each bar's end) carries the same words.
  assert.match(run.stderr, /\| lag \d+ · pending \d+\/\d+ · dead \d+ · \d+ rows\/s/);
});

test.run();
