// The .npy writer (src/io/npy_writer*.ts): headers laid out as NumPy's format 1.0 says (magic, version 1.0,
// little-endian u16 length, a dict literal padded with spaces to a 64-byte boundary and ended by '\n'), 1-D
// shapes with their trailing comma; a file streamed with an unknown row count gets its count patched into a
// header of unchanged length, appears only when finished, and leaves nothing behind when aborted or refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { throwsWith } from './gpu_suite.ts';
import { npyItemBytes } from '../src/data/npy_rows.ts';
import { npyHeader, npyHeaderRoom } from '../src/io/npy_writer.ts';
import { NpyFileWriter } from '../src/io/npy_writer.node.ts';
import { readNpyDictionary } from '../src/data/npy_rows.ts';

const text = (bytes: Uint8Array) => new TextDecoder('latin1').decode(bytes);

test("a header is laid out as NumPy format 1.0 and reads back with the repo's own parser", () => {
  for (const [descr, shape] of [
    ['<f4', [3, 40]],
    ['|u1', [7]],
    ['<U5', [2]],
    ['>i4', [0, 2, 3]],
  ] as Array<[string, number[]]>) {
    const bytes = npyHeader(descr, shape);
    assert.equal(Array.from(bytes.subarray(0, 8)), [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 'magic and version 1.0');
    const headerLength = new DataView(bytes.buffer).getUint16(8, true);
    assert.is(10 + headerLength, bytes.length);
    assert.is(bytes.length % 64, 0, 'the data starts on a 64-byte boundary');
    const dict = text(bytes.subarray(10));
    const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
    assert.match(
      dict,
      new RegExp(
        `^\\{'descr': '${descr.replace('|', '\\|')}', 'fortran_order': False, 'shape': \\(${dims}\\), \\} *\\n$`,
      ),
    );
    const back = readNpyDictionary(bytes, 'header');
    if ('need' in back) throw new Error('the header should be complete');
    assert.equal([back.descr, back.fortranOrder, back.dims, back.dataOffset], [descr, false, shape, bytes.length]);
  }
});

test('room for any row count: the header of 2^53 − 1 rows is as long as the header of 0 rows written into that room', () => {
  const room = npyHeaderRoom('<f4', [40]);
  assert.is(npyHeader('<f4', [Number.MAX_SAFE_INTEGER, 40]).length, room);
  assert.is(npyHeader('<f4', [0, 40], room).length, room);
  const padded = npyHeader('<f4', [5, 40], 130);
  assert.is(padded.length, 192, 'a minimum is rounded up to the next 64-byte boundary');
  assert.equal((readNpyDictionary(padded, 'padded') as { dims: number[] }).dims, [5, 40]);
  assert.is(npyItemBytes('<U5'), 20);
  assert.is(npyItemBytes('<i8'), 8);
  throwsWith(() => npyItemBytes('|O'), ["'|O' is not a fixed-size type"]);
});

test('a streamed file gets its row count on finish, appears only then, and is exactly header + rows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-npy-'));
  const path = join(dir, 'rows.npy');
  const writer = new NpyFileWriter(path, '<f4', [3]);
  writer.appendFloat32(Float32Array.from([1, 2, 3, 4, 5, 6]));
  writer.appendFloat32(Float32Array.from([-7.5, 8, 9]));
  assert.is(writer.rows, 3);
  assert.not.ok(existsSync(path), 'nothing under the name before finish');
  writer.finish();
  const bytes = new Uint8Array(readFileSync(path));
  const header = readNpyDictionary(bytes, path);
  if ('need' in header) throw new Error('complete header expected');
  assert.equal(header.dims, [3, 3]);
  assert.is(header.dataOffset % 64, 0);
  assert.is(bytes.length, header.dataOffset + 9 * 4);
  const view = new DataView(bytes.buffer, header.dataOffset);
  assert.equal(
    Array.from({ length: 9 }, (_, i) => view.getFloat32(4 * i, true)),
    [1, 2, 3, 4, 5, 6, -7.5, 8, 9],
  );
  assert.equal(readdirSync(dir), ['rows.npy'], 'no temporary file left');
});

test('an aborted or partial-row file leaves nothing behind, and the error names the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-npy-'));
  const aborted = new NpyFileWriter(join(dir, 'aborted.npy'), '<f4', [2]);
  aborted.appendFloat32(Float32Array.from([1, 2]));
  aborted.abort();
  const partial = new NpyFileWriter(join(dir, 'partial.npy'), '|u1', [4]);
  partial.append(Uint8Array.from([1, 2, 3, 4, 5]));
  throwsWith(() => partial.finish(), [join(dir, 'partial.npy'), '5 bytes of data are not whole rows of 4 bytes']);
  assert.equal(readdirSync(dir), []);
  throwsWith(
    () => new NpyFileWriter(join(dir, 'no-such-dir', 'x.npy'), '<f4', [1]),
    [join(dir, 'no-such-dir', 'x.npy'), 'cannot write', 'ENOENT'],
  );
});

test.run();
