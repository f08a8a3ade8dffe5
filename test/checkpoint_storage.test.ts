// Checkpoint storage without a GPU (src/io/checkpoint.node.ts, checkpoint_format.ts, safetensors.ts): a write
// that fails anywhere — a full disk (injected, and a real 64 KiB tmpfs when this process may mount one), a
// short write, a failed fsync, a disk that reads back other bytes — leaves the previous checkpoint as it was,
// names the path and the failing step, and leaves no temporary file; the reader falls back to the previous
// checkpoint when the newest is torn, and says so; the strict reader refuses every malformed layout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32 } from '../src/io/crc32.ts';
import {
  CHECKPOINT_FILE,
  PREVIOUS_CHECKPOINT_FILE,
  readCheckpoint,
  writeCheckpoint,
  type Checkpoint,
  type CheckpointFs,
} from '../src/io/checkpoint.node.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint_format.ts';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/train/train_config.ts';
import { throwsWith } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';

/** A small checkpoint whose values depend on `step`, about `values` floats in all. */
function checkpointAt(step: number, values = 1000): Checkpoint {
  const config = { ...DEFAULT_TRAIN_CONFIG, D: 8, hidden: [4], latent: 2 };
  const data = Float32Array.from(seededUniform(step, values));
  return {
    snapshot: {
      config,
      step,
      tensors: [
        { name: 'a', shape: [values - 10], data: data.slice(10) },
        { name: 'b', shape: [2, 5], data: data.slice(0, 10) },
      ],
    },
    run: null,
  };
}

const sameCheckpoint = (got: Checkpoint, want: Checkpoint) => {
  assert.is(got.snapshot.step, want.snapshot.step);
  assert.equal(got.run, want.run);
  assert.equal(
    got.snapshot.tensors.map((t) => [t.name, t.shape, Array.from(t.data)]),
    want.snapshot.tensors.map((t) => [t.name, t.shape, Array.from(t.data)]),
  );
};

const temporaries = (dir: string) => readdirSync(dir).filter((f) => f.includes('.tmp-'));

/** A writeSync that stores at most `capacity` bytes in all: the write that crosses it is short, later ones fail. */
function diskOf(capacity: number, afterFull: 'throw' | 'zero'): Partial<CheckpointFs> {
  let stored = 0;
  const writeSync = ((fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => {
    const room = capacity - stored;
    if (room <= 0) {
      if (afterFull === 'zero') return 0;
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    const n = Math.min(room, length);
    stored += fs.writeSync(fd, buffer, offset, n, position);
    return n;
  }) as CheckpointFs['writeSync'];
  return { writeSync };
}

test('crc32 agrees with zlib, whole and continued', () => {
  const bytes = Uint8Array.from(seededUniform(3, 5000), (v) => Math.floor(v * 256));
  assert.is(crc32(bytes), zlibCrc32(bytes));
  assert.is(crc32(bytes.subarray(1234), crc32(bytes.subarray(0, 1234))), zlibCrc32(bytes));
});

test('safetensors pads the header by UTF-8 bytes: non-ASCII metadata still puts the data 8-byte aligned', () => {
  for (const note of ['/home/jörg/runs/π', '日本語のパス', 'a😀', 'plain']) {
    const tensors = [{ name: 'w', shape: [3], data: Float32Array.from([1, -2, 0.5]) }];
    const bytes = encodeSafetensors({ tensors, metadata: { note } });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.is((8 + headerLength) % 8, 0, note);
    assert.is(bytes.length, 8 + headerLength + 12, note);
    const back = decodeSafetensors(bytes, 'mem');
    assert.is(back.metadata.note, note);
    assert.equal(Array.from(back.tensors[0].data), [1, -2, 0.5]);
  }
});

/** A safetensors file with a hand-written header (padded to 8) and `data` bytes. */
function withHeader(header: unknown, dataBytes: number): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  padded.set(json);
  json = padded;
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

test('the strict safetensors reader refuses every malformed layout, naming the file, the place and what was expected', () => {
  const t = (offsets: unknown, shape: unknown = [2]) => ({ dtype: 'F32', shape, data_offsets: offsets });
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 0xfffffffffff0n, true);
  throwsWith(() => decodeSafetensors(huge, 'big.st'), ['big.st', 'at byte 0', 'over the 100000000-byte limit']);
  throwsWith(
    () => decodeSafetensors(withHeader([1, 2], 0), 'array.st'),
    ['array.st', 'at byte 8', 'expected the header to be a JSON object'],
  );
  throwsWith(
    () => decodeSafetensors(withHeader({ x: t(['0', '8']) }, 8), 'string.st'),
    ['string.st', "tensor 'x'", 'two non-negative integers'],
  );
  throwsWith(
    () => decodeSafetensors(withHeader({ x: t([0.5, 8.5]) }, 9), 'float.st'),
    ['float.st', "tensor 'x'", 'two non-negative integers'],
  );
  throwsWith(
    () => decodeSafetensors(withHeader({ x: t([0, 8]), y: t([0, 8]) }, 8), 'alias.st'),
    ['alias.st', "tensor 'y'", 'starts at data byte 0, expected 8', 'overlaps'],
  );
  throwsWith(
    () => decodeSafetensors(withHeader({ x: t([0, 8]), y: t([12, 20]) }, 20), 'gap.st'),
    ['gap.st', "tensor 'y'", 'leaves a gap'],
  );
  throwsWith(
    () => decodeSafetensors(withHeader({ x: t([0, 12]) }, 12), 'size.st'),
    ['size.st', "tensor 'x' (2 F32 = 8 bytes) claims bytes 0–12 (12 bytes)"],
  );
  throwsWith(
    () => decodeSafetensors(withHeader({ x: t([0, 8]) }, 12), 'tail.st'),
    ['size.st'.replace('size', 'tail'), 'expected the file to end after the last tensor, but 4 more bytes follow'],
  );
  throwsWith(() => decodeSafetensors(withHeader({ x: t([8, 0]) }, 8), 'back.st'), ['back.st', 'begin ≤ end']);
  throwsWith(
    () => decodeSafetensors(withHeader({ x: { ...t([0, 8]), dtype: 'F16' } }, 8), 'f16.st'),
    ['f16.st', "tensor 'x'", 'expected dtype F32, found "F16"'],
  );
  throwsWith(
    () => decodeSafetensors(withHeader({ x: t([0, 8], [2, -1]) }, 8), 'shape.st'),
    ['shape.st', 'shape of non-negative integers'],
  );
  throwsWith(
    () => decodeSafetensors(withHeader({ __metadata__: { a: 1 } }, 0), 'meta.st'),
    ['meta.st', '"__metadata__" value \'a\' to be a string'],
  );
  throwsWith(
    () => decodeSafetensors(withHeader({ x: 'no' }, 0), 'entry.st'),
    ['entry.st', "tensor 'x'", 'expected an object { dtype, shape, data_offsets }'],
  );
  const invalidUtf8 = withHeader({ x: t([0, 8]) }, 8);
  invalidUtf8[10] = 0xff;
  throwsWith(() => decodeSafetensors(invalidUtf8, 'utf8.st'), ['utf8.st', 'at byte 8', 'JSON header in UTF-8']);
});

test('the checkpoint reader refuses non-finite tensors, bad checksums and mistyped config, naming the file and what was expected', () => {
  const good = checkpointAt(4);
  const nan = checkpointAt(4);
  nan.snapshot.tensors[1].data[3] = NaN;
  throwsWith(
    () => decodeCheckpoint(encodeCheckpoint(nan), 'nan.ckpt'),
    ['nan.ckpt', "tensor 'b' holds NaN at index 3", 'expected finite values'],
  );
  const inf = checkpointAt(4);
  inf.snapshot.tensors[0].data[7] = -Infinity;
  throwsWith(
    () => decodeCheckpoint(encodeCheckpoint(inf), 'inf.ckpt'),
    ['inf.ckpt', "tensor 'a' holds -Infinity at index 7"],
  );
  const bytes = encodeCheckpoint(good);
  bytes[bytes.length - 1] ^= 0x01; // one bit of data: still finite, still well-formed
  throwsWith(() => decodeCheckpoint(bytes, 'flip.ckpt'), ['flip.ckpt', 'the checksum does not match', 'corrupt']);
  const badConfig = checkpointAt(4);
  (badConfig.snapshot.config as unknown as Record<string, unknown>).hidden = 5;
  throwsWith(
    () => decodeCheckpoint(encodeCheckpoint(badConfig), 'cfg.ckpt'),
    ['cfg.ckpt', "the checkpoint's config metadata has hidden = 5: expected an array of numbers"],
  );
  const badLatent = checkpointAt(4);
  badLatent.snapshot.config.latent = 0;
  throwsWith(
    () => decodeCheckpoint(encodeCheckpoint(badLatent), 'latent.ckpt'),
    ['latent.ckpt', "the checkpoint's config metadata is invalid: latent must be an integer from 1"],
  );
  const badStep = checkpointAt(4);
  badStep.snapshot.step = 1.5;
  throwsWith(
    () => decodeCheckpoint(encodeCheckpoint(badStep), 'step.ckpt'),
    ['step.ckpt', "expected a step counter (a non-negative integer) in the metadata, found '1.5'"],
  );
  sameCheckpoint(decodeCheckpoint(encodeCheckpoint(good), 'good.ckpt'), good);
});

test('each write keeps the one before as checkpoint.prev; a torn newest falls back to it, saying so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-ckpt-store-'));
  writeCheckpoint(dir, checkpointAt(1));
  assert.not.ok(fs.existsSync(join(dir, PREVIOUS_CHECKPOINT_FILE)), 'nothing to keep after the first write');
  writeCheckpoint(dir, checkpointAt(2));
  writeCheckpoint(dir, checkpointAt(3));
  assert.equal(readdirSync(dir).sort(), [PREVIOUS_CHECKPOINT_FILE, CHECKPOINT_FILE].sort());
  const newest = readCheckpoint(dir);
  sameCheckpoint(newest, checkpointAt(3));
  assert.is(newest.fallback, null);
  const path = join(dir, CHECKPOINT_FILE);
  writeFileSync(path, readFileSync(path).subarray(0, 3000)); // torn, as a full disk left it before this fix
  const warnings: string[] = [];
  const older = readCheckpoint(dir, { warn: (m) => warnings.push(m) });
  sameCheckpoint(older, checkpointAt(2));
  assert.is(older.path, join(dir, PREVIOUS_CHECKPOINT_FILE));
  assert.is(warnings.length, 1);
  assert.match(warnings[0], `${path}: at byte`);
  assert.match(warnings[0], `reading the previous checkpoint ${join(dir, PREVIOUS_CHECKPOINT_FILE)} (step 2) instead`);
  writeFileSync(join(dir, PREVIOUS_CHECKPOINT_FILE), 'junk');
  throwsWith(
    () => readCheckpoint(dir),
    [path, 'the previous checkpoint cannot be read either', PREVIOUS_CHECKPOINT_FILE],
  );
});

test('a disk that fills during the write: the previous checkpoint survives, the error names the path, no temporary file is left', () => {
  for (const afterFull of ['throw', 'zero'] as const) {
    for (const capacity of [0, 1, 4096, 9000]) {
      const dir = mkdtempSync(join(tmpdir(), 'aevb-ckpt-full-'));
      writeCheckpoint(dir, checkpointAt(1));
      writeCheckpoint(dir, checkpointAt(2));
      const before = readFileSync(join(dir, CHECKPOINT_FILE));
      throwsWith(
        () => writeCheckpoint(dir, checkpointAt(3, 3000), { fs: diskOf(capacity, afterFull) }),
        [
          join(dir, CHECKPOINT_FILE),
          'cannot write the checkpoint',
          'writing',
          'is the disk full?',
          'the previous checkpoint is unchanged',
        ],
      );
      assert.equal(temporaries(dir), [], `${afterFull} after ${capacity} bytes`);
      assert.ok(readFileSync(join(dir, CHECKPOINT_FILE)).equals(before));
      sameCheckpoint(readCheckpoint(dir), checkpointAt(2));
    }
  }
});

test('a failed fsync, rename or a disk that reads back other bytes leaves the previous checkpoint and no temporary file', () => {
  const eio = () => {
    throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
  };
  const lying = ((p: fs.PathOrFileDescriptor) => {
    const bytes = fs.readFileSync(p);
    bytes[bytes.length >> 1] ^= 0x10;
    return bytes;
  }) as CheckpointFs['readFileSync'];
  const renameFails = ((from: fs.PathLike, to: fs.PathLike) => {
    if (String(to).endsWith(CHECKPOINT_FILE))
      throw Object.assign(new Error('EXDEV: cross-device link'), { code: 'EXDEV' });
    fs.renameSync(from, to);
  }) as CheckpointFs['renameSync'];
  for (const [fault, step] of [
    [{ fsyncSync: eio }, 'fsync of'],
    [{ readFileSync: lying }, 'verifying'],
    [{ renameSync: renameFails }, 'renaming'],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'aevb-ckpt-fault-'));
    writeCheckpoint(dir, checkpointAt(1));
    throwsWith(
      () => writeCheckpoint(dir, checkpointAt(2), { fs: fault as Partial<CheckpointFs> }),
      [join(dir, CHECKPOINT_FILE), step],
    );
    assert.equal(temporaries(dir), [], step);
    sameCheckpoint(readCheckpoint(dir), checkpointAt(1));
  }
});

test('a checkpoint holding NaN or Inf is never written: the previous one stays', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-ckpt-nan-'));
  writeCheckpoint(dir, checkpointAt(1));
  const diverged = checkpointAt(2);
  diverged.snapshot.tensors[0].data[5] = Infinity;
  throwsWith(
    () => writeCheckpoint(dir, diverged),
    [
      join(dir, CHECKPOINT_FILE),
      "refusing to write a checkpoint at step 2 whose tensor 'a' holds Infinity at index 5",
      'the previous checkpoint is unchanged',
    ],
  );
  assert.equal(temporaries(dir), []);
  sameCheckpoint(readCheckpoint(dir), checkpointAt(1));
});

test('temporary files of writers that were killed are removed by the next write', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-ckpt-stale-'));
  // A PID far above any pid_max in use belongs to no process.
  writeFileSync(join(dir, `${CHECKPOINT_FILE}.tmp-999999999`), 'half a checkpoint');
  writeCheckpoint(dir, checkpointAt(1));
  assert.equal(temporaries(dir), []);
});

test('a real full disk (a 64 KiB tmpfs): the previous checkpoint survives and the error names the path', (context) => {
  const mountPoint = mkdtempSync(join(tmpdir(), 'aevb-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], { stdio: 'pipe' });
  } catch (error) {
    console.log(
      `  skipped the tmpfs disk-full check: cannot mount a tmpfs here (${String((error as Error).message).split('\n')[0]}); the injected full-disk test above covers the writer`,
    );
    return;
  }
  try {
    const dir = join(mountPoint, 'run');
    writeCheckpoint(dir, checkpointAt(1, 2000)); // ~8 KB each: current + prev + temporary fit
    writeCheckpoint(dir, checkpointAt(2, 2000));
    writeCheckpoint(dir, checkpointAt(3, 2000));
    const before = readFileSync(join(dir, CHECKPOINT_FILE));
    throwsWith(
      () => writeCheckpoint(dir, checkpointAt(4, 20_000)),
      [join(dir, CHECKPOINT_FILE), 'writing', 'ENOSPC', 'is the disk full?'],
    );
    assert.equal(temporaries(dir), []);
    assert.ok(readFileSync(join(dir, CHECKPOINT_FILE)).equals(before));
    // Completely full: even the first byte cannot be written.
    const filler = join(mountPoint, 'filler');
    const fd = fs.openSync(filler, 'w');
    try {
      for (;;) fs.writeSync(fd, new Uint8Array(4096));
    } catch {
      // ENOSPC: the disk is full now.
    } finally {
      fs.closeSync(fd);
    }
    throwsWith(() => writeCheckpoint(dir, checkpointAt(5, 2000)), [join(dir, CHECKPOINT_FILE), 'ENOSPC']);
    assert.equal(temporaries(dir), []);
    sameCheckpoint(readCheckpoint(dir), checkpointAt(3, 2000));
    fs.unlinkSync(filler);
    writeCheckpoint(dir, checkpointAt(6, 2000));
    sameCheckpoint(readCheckpoint(dir), checkpointAt(6, 2000));
    sameCheckpoint(decodeCheckpoint(readFileSync(join(dir, PREVIOUS_CHECKPOINT_FILE)), 'prev'), checkpointAt(3, 2000));
  } finally {
    execFileSync('umount', [mountPoint]);
  }
  void context;
});

test.run();
