// src/data/idx.ts and idx_file.node.ts: valid files of each kind parse; every broken one is refused with the
// file, the byte offset and what was expected.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseIdx } from '../src/data/idx.ts';
import { readIdxFile } from '../src/data/idx_file.node.ts';
import { mnistSource } from '../src/data/mnist.node.ts';
import { readAllRows } from '../src/data/read_rows.ts';
import { throwsWith } from './gpu_suite.ts';

/** An IDX file: magic, dims, then `values` encoded as `type`. */
function idxBytes(typeCode: number, dims: number[], payload: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = typeCode;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + payload.length);
  out.set(header);
  out.set(payload, header.length);
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'aevb-idx-'));

test('u8 images parse as rows of d1·d2 values', () => {
  const bytes = idxBytes(0x08, [2, 2, 3], Uint8Array.from([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]));
  const data = parseIdx(bytes, 'mem');
  assert.is(data.header.rows, 2);
  assert.is(data.header.rowLength, 6);
  assert.equal(Array.from(data.values), [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
  assert.is(data.header.type, 'u8');
});

test('big-endian f32 parses, and a .gz file is decompressed', () => {
  const payload = new Uint8Array(8);
  new DataView(payload.buffer).setFloat32(0, 0.25, false);
  new DataView(payload.buffer).setFloat32(4, -1.5, false);
  const path = join(dir, 'floats.idx.gz');
  writeFileSync(path, gzipSync(idxBytes(0x0d, [2, 1], payload)));
  const idx = readIdxFile(path);
  assert.equal(Array.from(idx.values), [0.25, -1.5]);
  assert.is(idx.header.type, 'f32');
});

test('broken files name the file, the byte offset and what was expected', () => {
  const good = idxBytes(0x08, [3, 2, 2], new Uint8Array(12));
  throwsWith(
    () => parseIdx(Uint8Array.from([1, 0, 8, 1]), 'bad-magic.idx'),
    ['bad-magic.idx', 'at byte 0', 'expected the IDX magic 0x00 0x00, found 0x01 0x00'],
  );
  throwsWith(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 8, 0]), 'gz.idx'), ['gz.idx', 'at byte 0', 'gzip']);
  throwsWith(
    () => parseIdx(Uint8Array.from([0, 0, 0x07, 1, 0, 0, 0, 1]), 'type.idx'),
    ['type.idx', 'at byte 2', 'type code', 'found 0x07'],
  );
  throwsWith(
    () => parseIdx(good.subarray(0, 10), 'short-header.idx'),
    ['short-header.idx', 'at byte 10', 'expected 3 dimension sizes'],
  );
  throwsWith(
    () => parseIdx(good.subarray(0, good.length - 5), 'truncated.idx'),
    [
      'truncated.idx',
      `at byte ${good.length - 5}`,
      'promises 3×2×2 u8 values',
      'after 1 complete rows of 3',
      'truncated',
    ],
  );
  throwsWith(
    () => parseIdx(idxBytes(0x08, [1000, 2, 2], new Uint8Array(12)), 'promises-more.idx'),
    ['promises-more.idx', 'promises 1000×2×2', 'after 3 complete rows of 1000'],
  );
  throwsWith(
    () => parseIdx(Uint8Array.from([...good, 9, 9]), 'trailing.idx'),
    ['trailing.idx', `at byte ${good.length}`, '2 more bytes follow'],
  );
});

test('a missing file and a corrupt .gz are reported with their path', () => {
  throwsWith(() => readIdxFile(join(dir, 'nope-idx3-ubyte')), ['nope-idx3-ubyte', 'cannot read', 'ENOENT']);
  const path = join(dir, 'corrupt.gz');
  writeFileSync(path, Uint8Array.from([0x1f, 0x8b, 1, 2, 3]));
  throwsWith(() => readIdxFile(path), ['corrupt.gz', 'at byte 0', 'gzip']);
});

test('the bundled MNIST is 60000 + 10000 images of 784 bytes', async () => {
  const train = await readAllRows(mnistSource('train'));
  const testSet = await readAllRows(mnistSource('test'));
  assert.is(train.rows, 60000);
  assert.is(testSet.rows, 10000);
  assert.is(train.D, 784);
  assert.is(Math.max(...train.values.subarray(0, 784 * 10)), 1);
});

test.run();
