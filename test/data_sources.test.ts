// Streaming sources and parsers (src/data/*_rows.ts, file_source.node.ts, synthetic_source.ts): every format
// parses the same whatever the chunking; every broken file is refused naming the file, the byte offset and
// what was expected; shards are read in order; a source can be opened again for the next epoch.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { readIdxFile } from '../src/data/idx_file.node.ts';
import { NpyRowParser } from '../src/data/npy_rows.ts';
import { IdxRowParser } from '../src/data/idx_rows.ts';
import { RawRowParser } from '../src/data/raw_rows.ts';
import type { RowParser } from '../src/data/row_block.ts';
import { fileSource } from '../src/data/file_source.node.ts';
import { syntheticSource } from '../src/data/synthetic_source.ts';
import type { RowSource } from '../src/data/row_source.ts';
import { npyBytes } from './npy_writer.ts';
import { rejectsWith, throwsWith } from './gpu_suite.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { urlSource } from '../src/data/url_source.ts';
import { startFlakyHttpServer } from './servers/flaky_http_server.ts';
import { epochBatches } from '../src/stream/epoch_batches.ts';
import { memorySource } from '../src/data/memory_source.ts';
import { setUpData, sourceFor } from '../src/cli/data_setup.node.ts';

const dir = mkdtempSync(join(tmpdir(), 'aevb-sources-'));

/** Feeds `bytes` to the parser in chunks of `size` and returns all rows' values (scaled) and D. */
function parse(parser: RowParser, bytes: Uint8Array, size: number): { values: number[]; D: number } {
  const values: number[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    const block = parser.push(bytes.subarray(i, i + size));
    if (block) for (const v of block.values) values.push(v * block.scale);
  }
  parser.end();
  return { values, D: parser.D };
}

async function readAll(source: RowSource): Promise<number[]> {
  const values: number[] = [];
  for await (const block of source.open()) for (const v of block.values) values.push(v * block.scale);
  return values;
}

const floats = [0.5, 0.125, 0.75, 1, 0, 1e-3];

test('.npy u1/f4/f8 (both endiannesses) parse identically in chunks of 1, 7 and all bytes', () => {
  for (const [dtype, values, expected] of [
    ['|u1', [0, 51, 255, 102, 0, 255], [0, 0.2, 1, 0.4, 0, 1]],
    ['<f4', floats, floats.map((v) => Math.fround(v))],
    ['>f4', floats, floats.map((v) => Math.fround(v))],
    ['<f8', floats, floats.map((v) => Math.fround(v))],
  ] as const) {
    const bytes = npyBytes(dtype, [2, 3], values);
    for (const size of [1, 7, bytes.length]) {
      const { values: got, D } = parse(new NpyRowParser('x.npy'), bytes, size);
      assert.is(D, 3);
      assert.equal(
        got.map((v) => Math.round(v * 1e6) / 1e6),
        expected.map((v) => Math.round(v * 1e6) / 1e6),
        `${dtype} in chunks of ${size}`,
      );
    }
  }
});

test('broken .npy files are refused with the file, the offset and what was expected', () => {
  const good = npyBytes('<f4', [3, 2], [1, 0, 0.5, 0.25, 0, 1]);
  throwsWith(
    () => parse(new NpyRowParser('fortran.npy'), npyBytes('<f4', [3, 2], [1, 2, 3, 4, 5, 6], true), 64),
    ['fortran.npy', 'at byte 10', 'expected C order', 'cannot be streamed row by row'],
  );
  throwsWith(
    () => parse(new NpyRowParser('int.npy'), npyBytes('<i2', [2, 2], [1, 2, 3, 4]), 64),
    ['int.npy', "expected dtype u1, f4 or f8, found '<i2'"],
  );
  throwsWith(
    () => parse(new NpyRowParser('vector.npy'), npyBytes('<f4', [4], [1, 2, 3, 4]), 64),
    ['vector.npy', 'at least 2 positive integer dimensions', 'a 1-D array is one value per item, like labels'],
  );
  throwsWith(
    () => parse(new NpyRowParser('magic.npy'), Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x58, 1, 0, 0, 0]), 64),
    ['magic.npy', 'at byte 5', 'magic'],
  );
  throwsWith(
    () => parse(new NpyRowParser('cut.npy'), good.subarray(0, good.length - 6), 16),
    ['cut.npy', `at byte ${good.length - 6}`, 'promises shape (3, 2)', 'after 2 complete rows of 3', 'truncated'],
  );
  throwsWith(
    () => parse(new NpyRowParser('header.npy'), good.subarray(0, 30), 16),
    ['header.npy', 'at byte 30', 'inside the .npy header'],
  );
  throwsWith(
    () => parse(new NpyRowParser('long.npy'), Uint8Array.from([...good, 0, 0, 0, 0]), 1000),
    ['long.npy', `at byte ${good.length}`, 'more bytes follow'],
  );
});

test('streamed IDX equals the whole-file parse in any chunking; a header promising more rows is caught at the end', () => {
  const header = [0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2];
  const bytes = Uint8Array.from([...header, 0, 255, 51, 102, 255, 0, 0, 51]);
  for (const size of [1, 3, 5, 100]) {
    const { values, D } = parse(new IdxRowParser('x-ubyte'), bytes, size);
    assert.is(D, 2);
    assert.equal(
      values.map((v) => Math.round(v * 100) / 100),
      [0, 1, 0.2, 0.4, 1, 0, 0, 0.2],
    );
  }
  const promisesMore = Uint8Array.from([...header.slice(0, 7), 9, ...header.slice(8), 0, 255, 51, 102]);
  throwsWith(
    () => parse(new IdxRowParser('more-ubyte'), promisesMore, 4),
    ['more-ubyte', 'at byte 20', 'promises 9×1×2 u8 values', 'after 2 complete rows of 9'],
  );
  throwsWith(
    () => parse(new IdxRowParser('magic-ubyte'), Uint8Array.from([0, 1, 8, 3, 0]), 4),
    ['magic-ubyte', 'at byte 0', 'IDX magic'],
  );
});

test('raw rows need whole rows of D values', () => {
  const f32 = new Uint8Array(new Float32Array([1, 0.5, 0.25, 0.125, 0, 1]).buffer);
  assert.equal(parse(new RawRowParser('x.f32', 'raw-f32', 3), f32, 5).values, [1, 0.5, 0.25, 0.125, 0, 1]);
  throwsWith(
    () => parse(new RawRowParser('x.f32', 'raw-f32', 4), f32, 5),
    ['x.f32', 'at byte 16', 'whole rows of 4 f32 values (16 bytes each)', 'ends 8 bytes into row 1'],
  );
  throwsWith(() => new RawRowParser('x.u8', 'raw-u8', 0), ['x.u8', '--dim']);
});

test('files on disk: .npy, .npy.gz, raw with --dim, and a directory of shards in name order', async () => {
  writeFileSync(join(dir, 'a.npy'), npyBytes('|u1', [2, 3], [0, 51, 102, 153, 204, 255]));
  writeFileSync(join(dir, 'a.npy.gz'), gzipSync(npyBytes('|u1', [2, 3], [0, 51, 102, 153, 204, 255])));
  writeFileSync(join(dir, 'rows.bin'), Uint8Array.from([255, 0, 0, 255, 255, 255]));
  const shards = join(dir, 'shards');
  mkdirSync(shards);
  writeFileSync(join(shards, 'part-001.npy'), npyBytes('<f4', [1, 3], [0.5, 0.5, 0.5]));
  writeFileSync(join(shards, 'part-000.npy'), npyBytes('<f4', [2, 3], [0, 0.25, 1, 1, 1, 1]));
  const round = (a: number[]) => a.map((v) => Math.round(v * 100) / 100);
  assert.equal(round(await readAll(fileSource(join(dir, 'a.npy')))), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.equal(round(await readAll(fileSource(join(dir, 'a.npy.gz')))), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.equal(await readAll(fileSource(join(dir, 'rows.bin'), { format: 'raw-u8', dim: 3 })), [1, 0, 0, 1, 1, 1]);
  const sharded = fileSource(shards);
  assert.equal(await readAll(sharded), [0, 0.25, 1, 1, 1, 1, 0.5, 0.5, 0.5]);
  assert.equal(
    await readAll(sharded),
    [0, 0.25, 1, 1, 1, 1, 0.5, 0.5, 0.5],
    'a second pass (next epoch) reads the same',
  );
});

test('--shard-of on local data: a directory gives trainer i every N-th file; a single file, synthetic data and the bundled MNIST are refused', async () => {
  const shards = join(dir, 'split');
  mkdirSync(shards);
  for (let i = 0; i < 4; i++) writeFileSync(join(shards, `part-${i}.npy`), npyBytes('<f4', [1, 1], [i / 4]));
  const d = { format: 'auto' as const, dim: undefined, seed: 1 };
  assert.equal(await readAll(sourceFor(shards, { ...d, shardOf: { index: 1, count: 2 } })), [0.25, 0.75]);
  assert.equal(await readAll(sourceFor(shards, { ...d, shardOf: { index: 0, count: 2 } })), [0, 0.5]);
  throwsWith(
    () => sourceFor(join(shards, 'part-0.npy'), { ...d, shardOf: { index: 0, count: 2 } }),
    ['part-0.npy: --shard-of 0/2 splits a directory of shards', 'this is a single file'],
  );
  throwsWith(() => sourceFor(shards, { ...d, shardOf: { index: 0, count: 5 } }), ['more trainers than the 4 shards']);
  throwsWith(
    () => sourceFor('synthetic:100x4', { ...d, shardOf: { index: 0, count: 2 } }),
    ['synthetic:100x4: --shard-of splits shards', 'synthetic data has none'],
  );
  await rejectsWith(
    () =>
      setUpData({
        ...d,
        data: null,
        testData: null,
        binarize: true,
        validationSplit: null,
        validationData: null,
        shardOf: { index: 0, count: 2 },
      }),
    /--shard-of splits the shards of --data .* the bundled MNIST has none/,
  );
});

test('bad paths, unknown formats, mismatched shards and corrupt .gz are refused with their names', async () => {
  throwsWith(() => fileSource(join(dir, 'missing.npy')), ['missing.npy', 'cannot read the data', 'ENOENT']);
  writeFileSync(join(dir, 'data.bin'), new Uint8Array(4));
  throwsWith(() => fileSource(join(dir, 'data.bin')), ['data.bin', 'cannot tell the format', '--format']);
  throwsWith(() => fileSource(join(dir, 'data.bin'), { format: 'raw-f32' }), ['data.bin', '--dim']);
  const mixed = join(dir, 'mixed');
  mkdirSync(mixed);
  writeFileSync(join(mixed, '0.npy'), npyBytes('<f4', [1, 3], [1, 0, 1]));
  writeFileSync(join(mixed, '1.npy'), npyBytes('<f4', [1, 2], [1, 0]));
  await rejectsWith(() => readAll(fileSource(mixed)), /1\.npy: rows have 2 values, but the shards before it have 3/);
  writeFileSync(join(dir, 'bad.npy.gz'), Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6]));
  await rejectsWith(
    () => readAll(fileSource(join(dir, 'bad.npy.gz'))),
    /bad\.npy\.gz: at byte 10: the gzip stream is truncated/,
  );
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  throwsWith(() => fileSource(empty), ['empty', 'holds no files']);
});

test('data the likelihoods cannot model is refused with the fix: floats outside [0, 1], NaN, 1-D files, oversized headers and rows', () => {
  throwsWith(
    () => parse(new NpyRowParser('pixels.npy'), npyBytes('<f4', [2, 2], [0, 128, 255, 3]), 64),
    [
      'pixels.npy',
      'at byte 132',
      'row 0, value 1 is 128: expected values in [0, 1]',
      'divide by 255',
      'save them as uint8',
    ],
  );
  throwsWith(
    () => parse(new NpyRowParser('neg.npy'), npyBytes('<f8', [2, 2], [0, 0.5, 1, -0.25]), 7),
    ['neg.npy', 'row 1, value 1 is -0.25', 'Rescale the data into [0, 1]'],
  );
  const nan = new Uint8Array(new Float32Array([0.5, NaN, 1]).buffer);
  throwsWith(
    () => parse(new RawRowParser('nan.f32', 'raw-f32', 3), nan, 5),
    ['nan.f32', 'at byte 4', 'row 0, value 1 is NaN', 'not finite'],
  );
  const labels = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]);
  throwsWith(
    () => parse(new IdxRowParser('train-labels-idx1-ubyte'), labels, 2),
    ['train-labels-idx1-ubyte', 'at byte 3', '1 dimension', 'like a labels file', 'train-images-idx3-ubyte'],
  );
  const asLabels = parse(new IdxRowParser('train-labels-idx1-ubyte', { oneDimensional: true }), labels, 2);
  assert.equal({ D: asLabels.D, labels: asLabels.values.map((v) => Math.round(v * 255)) }, { D: 1, labels: [7, 2, 1] });
  const wide = Uint8Array.from([0, 0, 8, 2, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 1, 2]);
  throwsWith(
    () => parse(new IdxRowParser('wide-ubyte'), wide, 3),
    ['wide-ubyte', 'at byte 8', '4294967295 values is over the limit of 33554432 values per row'],
  );
  const longHeader = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 3, 0, 0, 0, 0x20, 0]);
  throwsWith(
    () => parse(new NpyRowParser('long-header.npy'), longHeader, 1),
    ['long-header.npy', 'at byte 8', 'the header length 2097152 is over the limit of 1048576 bytes'],
  );
  throwsWith(
    () => parse(new NpyRowParser('huge-row.npy'), npyBytes('<f4', [1, 40000000], []), 1 << 20),
    ['huge-row.npy', '40000000 values is over the limit'],
  );
  throwsWith(() => new RawRowParser('x.bin', 'raw-u8', 2 ** 26), ['x.bin', '--dim D, an integer from 1 to 33554432']);
});

test('a row longer than many chunks is gathered in pieces and joined once, whatever the chunking', () => {
  const D = 100_003;
  const values = Uint8Array.from({ length: 3 * D }, (_, i) => (i * 31) & 255);
  for (const size of [1000, 4096, D + 1]) {
    const { values: got, D: gotD } = parse(new RawRowParser('long.bin', 'raw-u8', D), values, size);
    assert.is(gotD, D);
    assert.is(got.length, 3 * D);
    assert.ok(
      got.every((v, i) => Math.round(v * 255) === values[i]),
      `chunks of ${size}`,
    );
  }
});

test('gzip errors say not gzip, truncated or corrupt, with the compressed offset; FIFOs, devices and mixed-dtype shards are refused by name', async () => {
  const npy = npyBytes(
    '|u1',
    [40, 50],
    Array.from({ length: 2000 }, (_, i) => (i * 7) & 255),
  );
  const gz = gzipSync(npy);
  writeFileSync(join(dir, 'plain.npy.gz'), npy);
  await rejectsWith(
    () => readAll(fileSource(join(dir, 'plain.npy.gz'))),
    /plain\.npy\.gz: at byte 0: not gzip: .* found 0x93 0x4e .*drop the \.gz/,
  );
  writeFileSync(join(dir, 'cut.npy.gz'), gz.subarray(0, gz.length - 20));
  await rejectsWith(
    () => readAll(fileSource(join(dir, 'cut.npy.gz'))),
    new RegExp(`cut\\.npy\\.gz: at byte ${gz.length - 20}: the gzip stream is truncated`),
  );
  const flipped = Uint8Array.from(gz);
  flipped[gz.length - 6] ^= 0xff; // inside the CRC-32 trailer
  writeFileSync(join(dir, 'crc.npy.gz'), flipped);
  await rejectsWith(
    () => readAll(fileSource(join(dir, 'crc.npy.gz'))),
    new RegExp(
      `crc\\.npy\\.gz: at byte \\d+: corrupt gzip data \\(incorrect data check\\) between this compressed byte and byte ${gz.length}`,
    ),
  );
  writeFileSync(join(dir, 'tail.npy.gz'), Uint8Array.from([...gz, 1, 2, 3, 4]));
  await rejectsWith(
    () => readAll(fileSource(join(dir, 'tail.npy.gz'))),
    /tail\.npy\.gz: at byte \d+: at or after this compressed byte, after a complete gzip member: expected another member or the end of the file/,
  );
  writeFileSync(join(dir, 'cut-idx.gz'), gz.subarray(0, 30));
  throwsWith(() => readIdxFile(join(dir, 'cut-idx.gz')), ['cut-idx.gz', 'at byte 30', 'truncated']);
  const fifo = join(dir, 'pipe.npy');
  execFileSync('mkfifo', [fifo]);
  throwsWith(
    () => fileSource(fifo),
    ['pipe.npy', 'is a FIFO (named pipe), not a regular file', 'save the stream to a file first'],
  );
  throwsWith(
    () => fileSource('/dev/zero', { format: 'raw-u8', dim: 4 }),
    ['/dev/zero', 'is a character device, not a regular file'],
  );
  throwsWith(() => readIdxFile(fifo), ['pipe.npy', 'not a regular file']);
  const shards = join(dir, 'dtypes');
  mkdirSync(shards);
  writeFileSync(join(shards, 'a.npy'), npyBytes('|u1', [1, 3], [0, 128, 255]));
  writeFileSync(join(shards, 'b.npy'), npyBytes('<f4', [1, 3], [0, 0.5, 1]));
  await rejectsWith(
    () => readAll(fileSource(shards)),
    /dtypes\/b\.npy: holds floats, but .*dtypes\/a\.npy holds bytes \(u8, scaled by 1\/255\): every shard must have one dtype/,
  );
  const pipeShards = join(dir, 'with-pipe');
  mkdirSync(pipeShards);
  writeFileSync(join(pipeShards, 'a.npy'), npyBytes('|u1', [1, 3], [0, 128, 255]));
  execFileSync('mkfifo', [join(pipeShards, 'b.npy')]);
  throwsWith(() => fileSource(pipeShards), ['with-pipe/b.npy', 'is a FIFO']);
  throwsWith(
    () => urlSource('http://example.invalid/train.npy.gz'),
    ['train.npy.gz', 'not gunzipped', 'serve the file uncompressed'],
  );
});

test('the synthetic source: reproducible, any length, and unbounded when asked', async () => {
  const a = await readAll(syntheticSource({ D: 5, rows: 600, seed: 2 }));
  assert.is(a.length, 3000);
  assert.equal(await readAll(syntheticSource({ D: 5, rows: 600, seed: 2 })), a);
  assert.not.equal(await readAll(syntheticSource({ D: 5, rows: 600, seed: 3 })), a);
  let rows = 0;
  for await (const block of syntheticSource({ D: 5, rows: Infinity, seed: 2 }).open()) {
    rows += block.rows;
    if (rows > 10_000) break;
  }
  assert.ok(rows > 10_000);
});

test('a URL source streams rows from an HTTP response, again for every pass', async () => {
  const body = npyBytes('|u1', [3, 2], [0, 255, 51, 102, 255, 0]);
  let requests = 0;
  const server = createServer((request, response) => {
    requests++;
    if (request.url === '/data/train.npy') {
      response.writeHead(200);
      // Sent in 3-byte pieces: the rows arrive split across chunks.
      for (let i = 0; i < body.length; i += 3) response.write(body.subarray(i, i + 3));
      response.end();
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const source = urlSource(`http://127.0.0.1:${port}/data/train.npy`);
    const round = (a: number[]) => a.map((v) => Math.round(v * 100) / 100);
    assert.equal(round(await readAll(source)), [0, 1, 0.2, 0.4, 1, 0]);
    assert.equal(round(await readAll(source)), [0, 1, 0.2, 0.4, 1, 0]);
    assert.is(requests, 2);
    await rejectsWith(() => readAll(urlSource(`http://127.0.0.1:${port}/missing.npy`)), /missing\.npy: HTTP 404/);
  } finally {
    server.close();
  }
});

test('a URL source has a minimum rate and a deadline, and follows no redirect to file:', async () => {
  const server = await startFlakyHttpServer();
  try {
    const body = npyBytes('|u1', [400, 10], new Array(4000).fill(7));
    server.put('/slow.npy', body);
    server.dribbleNext(1, 1, 20);
    await rejectsWith(
      () => readAll(urlSource(`${server.url}/slow.npy`, { limits: { minBytesPerSecond: 200, rateWindowMs: 300 } })),
      /slow\.npy: \d+ bytes arrived in 0\.3 s \(after \d+ bytes\), below the minimum rate of 200 bytes\/s/,
    );
    server.dribbleNext(1, 100, 20);
    await rejectsWith(
      () => readAll(urlSource(`${server.url}/slow.npy`, { limits: { deadlineMs: 200, rateWindowMs: 100 } })),
      /slow\.npy: the read took longer than its deadline of 0\.2 s of network time/,
    );
    server.redirect('/elsewhere.npy', 'file:///etc/passwd');
    await rejectsWith(
      () => readAll(urlSource(`${server.url}/elsewhere.npy`)),
      /^[^ ]*elsewhere\.npy: the server redirects to file: URL 'file:\/\/\/etc\/passwd'; only http: and https: redirects/,
    );
    assert.is((await readAll(urlSource(`${server.url}/slow.npy`))).length, 4000, 'a healthy read');
  } finally {
    await server.close();
  }
});

test('rows in memory are checked as a file is: floats outside [0, 1] refused with the fix; NaN left to the trainer, which names its step', () => {
  throwsWith(
    () => memorySource(Float32Array.from([0.5, 0.25, 0, 200]), { D: 2, name: 'my rows' }),
    ['my rows', 'row 1, value 1 is 200', 'divide by 255 first, or pass them as a Uint8Array'],
  );
  throwsWith(
    () => memorySource(Float32Array.from([-0.5, 0]), { D: 2 }),
    ['rows in memory', 'row 0, value 0 is -0.5', 'Rescale the data into [0, 1]'],
  );
  memorySource(Float32Array.from([0, 1, NaN, 0.5]), { D: 2 });
  memorySource(Uint8Array.from([0, 255]), { D: 2 });
});

test('stopping a pass early closes the file behind it', async () => {
  let closed = 0;
  const inner = syntheticSource({ D: 2, rows: 1000, seed: 1, blockRows: 10 });
  const source: RowSource = {
    name: 'tracked',
    async *open() {
      try {
        yield* inner.open();
      } finally {
        closed++;
      }
    },
  };
  let taken = 0;
  for await (const _batch of epochBatches({ source, B: 10, seed: 1, shuffleWindowRows: 1 }, 0))
    if (++taken === 2) break;
  assert.is(taken, 2);
  assert.is(closed, 1, 'breaking out of the pass closed the source');
});

test.run();
