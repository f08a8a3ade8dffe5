// Parser fuzzing (src/data/*_rows.ts, row_block.ts, file_source.node.ts): thousands of IDX, .npy, raw and .gz
// inputs mutated from valid ones by a seeded generator — truncations, bit and byte flips, inserted and zeroed
// ranges, header fields at their extremes, gzip bombs — go through the streaming parsers in random chunkings
// (and, for every .gz and some others, through files on disk). Each must end in a clear error naming the input
// or be accepted with exactly the shape its header declares; none may throw an engine error (TypeError,
// RangeError, allocation failure), hang, or grow memory past a bound. The figures are printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { IdxRowParser } from '../src/data/idx_rows.ts';
import { NpyRowParser } from '../src/data/npy_rows.ts';
import { RawRowParser } from '../src/data/raw_rows.ts';
import type { RowParser } from '../src/data/row_block.ts';
import { fileSource } from '../src/data/file_source.node.ts';
import { npyBytes } from './npy_writer.ts';
import { rejectsWith } from './gpu_suite.ts';
import { mulberry32 } from './seeded_random.ts';

const SEED = 20261130;
const CASES_IN_MEMORY = 1200;
const CASES_GZIP = 300;
/** RSS may grow at most this much over the run (a header promising 4 GiB must not be believed). */
const MEMORY_BOUND_BYTES = 256 * 2 ** 20;
/** Any one input must be settled within this long (a hang fails the test instead of stalling CI). */
const CASE_TIMEOUT_MS = 10_000;

const random = mulberry32(SEED);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)];

type Kind = 'idx' | 'npy' | 'raw-u8' | 'raw-f32';

function idxBytes(
  typeCode: number,
  dims: number[],
  valueBytes: number,
  values: (view: DataView, i: number) => void,
): Uint8Array {
  const count = dims.slice(1).reduce((a, b) => a * b, dims[0]);
  const out = new Uint8Array(4 + 4 * dims.length + count * valueBytes);
  const view = new DataView(out.buffer);
  out[2] = typeCode;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const data = new DataView(out.buffer, 4 + 4 * dims.length);
  for (let i = 0; i < count; i++) values(data, i);
  return out;
}

/** A valid input of `kind` with a few rows of random values in [0, 1]. */
function validInput(kind: Kind): { bytes: Uint8Array; D: number } {
  const rows = 1 + int(6);
  const D = 1 + int(12);
  const unit = () => Math.round(random() * 1000) / 1000;
  switch (kind) {
    case 'idx': {
      const float = random() < 0.4;
      const dims = random() < 0.5 ? [rows, D] : [rows, 1 + int(3), D];
      const rowLength = dims.slice(1).reduce((a, b) => a * b, 1);
      return float
        ? { bytes: idxBytes(0x0d, dims, 4, (v, i) => v.setFloat32(4 * i, unit(), false)), D: rowLength }
        : { bytes: idxBytes(0x08, dims, 1, (v, i) => v.setUint8(i, int(256))), D: rowLength };
    }
    case 'npy': {
      const dtype = pick(['|u1', '<f4', '<f8', '>f4'] as const);
      const values = Array.from({ length: rows * D }, () => (dtype === '|u1' ? int(256) : unit()));
      return { bytes: npyBytes(dtype, [rows, D], values), D };
    }
    case 'raw-u8':
      return { bytes: Uint8Array.from({ length: rows * D }, () => int(256)), D };
    case 'raw-f32':
      return { bytes: new Uint8Array(Float32Array.from({ length: rows * D }, unit).buffer), D };
  }
}

const EXTREME_U32 = [0, 1, 2, 255, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];

/** One seeded mutation of `bytes`; returns the new bytes and a short name of what was done. */
function mutate(kind: Kind, input: Uint8Array): { bytes: Uint8Array; how: string } {
  const bytes = Uint8Array.from(input);
  const view = new DataView(bytes.buffer);
  const r = int(12);
  if (r === 0) {
    const at = int(bytes.length);
    return { bytes: bytes.subarray(0, at), how: `truncated to ${at}` };
  }
  if (r === 1 || r === 2) {
    const at = int(bytes.length);
    bytes[at] ^= 1 << int(8);
    return { bytes, how: `bit flip at ${at}` };
  }
  if (r === 3) {
    const at = int(Math.min(bytes.length, 140));
    bytes[at] = int(256);
    return { bytes, how: `header byte ${at} randomised` };
  }
  if (r === 4) {
    const extra = Uint8Array.from({ length: 1 + int(40) }, () => int(256));
    return { bytes: Uint8Array.from([...bytes, ...extra]), how: `${extra.length} bytes appended` };
  }
  if (r === 5) {
    const at = int(bytes.length);
    const extra = Uint8Array.from({ length: 1 + int(8) }, () => int(256));
    return {
      bytes: Uint8Array.from([...bytes.subarray(0, at), ...extra, ...bytes.subarray(at)]),
      how: `${extra.length} bytes inserted at ${at}`,
    };
  }
  if (r === 6) {
    const at = int(bytes.length);
    bytes.fill(0, at, at + 1 + int(16));
    return { bytes, how: `zeroed from ${at}` };
  }
  if (r === 7) {
    const at = int(bytes.length);
    bytes.fill(0xff, at, at + 1 + int(16));
    return { bytes, how: `0xff from ${at}` };
  }
  // Header fields at their extremes.
  if (kind === 'idx' && bytes.length >= 8) {
    const ndims = bytes[3];
    const field = int(ndims + 2);
    if (field === ndims) {
      bytes[3] = pick([0, 1, 2, 3, 4, 200, 255]);
      return { bytes, how: `IDX ndims = ${bytes[3]}` };
    }
    if (field === ndims + 1) {
      bytes[2] = pick([0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0x0a, 0xff]);
      return { bytes, how: `IDX type = ${bytes[2]}` };
    }
    const value = pick(EXTREME_U32);
    if (4 + 4 * field + 4 <= bytes.length) view.setUint32(4 + 4 * field, value, false);
    return { bytes, how: `IDX dim ${field} = ${value}` };
  }
  if (kind === 'npy' && bytes.length >= 10) {
    const text = new TextDecoder('latin1').decode(bytes.subarray(10, 10 + view.getUint16(8, true)));
    const r2 = int(4);
    if (r2 === 0) {
      // Version 2 with a 4-byte header length at an extreme: the 0xFFFFFFF0 among them.
      const length = pick([0, 1, 0xffff, 0x100000, 0x100001, 0xfffffff0, 0xffffffff]);
      const out = new Uint8Array(bytes.length + 2);
      out.set(bytes.subarray(0, 8));
      out[6] = 2;
      new DataView(out.buffer).setUint32(8, length, true);
      out.set(bytes.subarray(10), 12);
      return { bytes: out, how: `npy v2 header length ${length}` };
    }
    if (r2 === 1) {
      bytes[6] = pick([0, 2, 3, 4, 255]);
      return { bytes, how: `npy version ${bytes[6]}` };
    }
    const replacement =
      r2 === 2
        ? text.replace(
            /'shape': \([^)]*\)/,
            `'shape': ${pick(['(0, 3)', '(1, 99999999999)', '(-1, 2)', '(3,)', '()', '(2, 3, 4)', '(1e3, 2)', '(4294967296, 784)', '(1, 33554433)', '(x, 2)'])}`,
          )
        : text
            .replace(/'descr': '[^']*'/, `'descr': '${pick(['<f2', '>f8', '|b1', '<u2', '<i4', 'O', '|u1', '<c8'])}'`)
            .replace('False', random() < 0.2 ? 'True' : 'False');
    const encoded = new TextEncoder().encode(
      replacement.padEnd(text.length).slice(0, Math.max(text.length, replacement.length)),
    );
    const out = new Uint8Array(10 + encoded.length + bytes.length - 10 - text.length);
    out.set(bytes.subarray(0, 10));
    new DataView(out.buffer).setUint16(8, encoded.length, true);
    out.set(encoded, 10);
    out.set(bytes.subarray(10 + text.length), 10 + encoded.length);
    return { bytes: out, how: `npy header '${replacement.trim().slice(0, 60)}'` };
  }
  const at = int(bytes.length);
  return { bytes: bytes.subarray(0, at), how: `truncated to ${at}` };
}

function parserFor(kind: Kind, source: string, D: number): RowParser {
  if (kind === 'idx') return new IdxRowParser(source);
  if (kind === 'npy') return new NpyRowParser(source);
  return new RawRowParser(source, kind, D);
}

/** The shape the input's own header declares, read independently of the parsers (null: no valid header). */
function declaredRows(kind: Kind, bytes: Uint8Array, D: number, parser: RowParser): { rows: number; D: number } {
  if (kind === 'raw-u8' || kind === 'raw-f32') return { rows: bytes.length / (D * (kind === 'raw-u8' ? 1 : 4)), D };
  if (kind === 'idx') {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const dims = Array.from({ length: bytes[3] }, (_, i) => view.getUint32(4 + 4 * i, false));
    return { rows: dims[0], D: dims.slice(1).reduce((a, b) => a * b, 1) };
  }
  return { rows: parser.promisedRows!, D: parser.D };
}

interface Tally {
  inputs: number;
  clearErrors: number;
  accepted: number;
  crashes: string[];
  hangs: number;
  peakRssGrowth: number;
  slowestMs: number;
}

const ENGINE_ERROR =
  /Cannot (read|convert)|is not a function|undefined|allocation failed|Invalid typed array length|Maximum call stack|out of memory/i;

/** Whether `error` is a clear refusal of `source`: our own Error naming the input, not an engine error. */
function clearRefusal(error: unknown, source: string): string | null {
  if (!(error instanceof Error)) return `threw a non-Error: ${String(error)}`;
  if (error instanceof TypeError || error instanceof RangeError) return `${error.name}: ${error.message}`;
  if (!error.message.startsWith(`${source}: `)) return `does not name the input first: ${error.message}`;
  if (ENGINE_ERROR.test(error.message)) return `unclear: ${error.message}`;
  return null;
}

/** A fresh tally; RSS growth counts from here, so what other suites of the same process left behind is not charged. */
function newTally(): Tally {
  baselineRss = process.memoryUsage().rss;
  return { inputs: 0, clearErrors: 0, accepted: 0, crashes: [], hangs: 0, peakRssGrowth: 0, slowestMs: 0 };
}

let baselineRss = process.memoryUsage().rss;
const noteMemory = (tally: Tally) => {
  tally.peakRssGrowth = Math.max(tally.peakRssGrowth, process.memoryUsage().rss - baselineRss);
};

function report(name: string, t: Tally): void {
  console.log(
    `  ${name}: ${t.inputs} inputs, ${t.clearErrors} clear errors, ${t.accepted} accepted with the declared shape, ${t.crashes.length} crashes, ${t.hangs} hangs, ` +
      `peak RSS growth ${(t.peakRssGrowth / 2 ** 20).toFixed(1)} MiB, slowest ${t.slowestMs.toFixed(0)} ms`,
  );
  for (const c of t.crashes.slice(0, 8)) console.log(`    ${c}`);
}

test(`${CASES_IN_MEMORY} mutated IDX, .npy and raw inputs in random chunkings: clear errors or the declared shape`, () => {
  const tally = newTally();
  const kinds: Kind[] = ['idx', 'npy', 'raw-u8', 'raw-f32'];
  for (let i = 0; i < CASES_IN_MEMORY; i++) {
    const kind = kinds[i % kinds.length];
    const { bytes: valid, D } = validInput(kind);
    const { bytes, how } = i < kinds.length ? { bytes: valid, how: 'unchanged' } : mutate(kind, valid);
    const source = `fuzz-${i}.${kind === 'idx' ? 'idx' : kind === 'npy' ? 'npy' : 'bin'}`;
    const chunk = pick([1, 2, 3, 7, 64, 1 << 20]);
    const started = performance.now();
    tally.inputs++;
    const parser = parserFor(kind, source, D);
    let rows = 0;
    let values = 0;
    try {
      for (let at = 0; at < bytes.length; at += chunk) {
        const block = parser.push(bytes.subarray(at, at + chunk));
        if (block !== null) {
          rows += block.rows;
          values += block.values.length;
          assert.is(block.values.length, block.rows * block.D);
        }
      }
      parser.end();
      const declared = declaredRows(kind, bytes, D, parser);
      if (rows !== declared.rows || parser.D !== declared.D || values !== rows * declared.D) {
        tally.crashes.push(
          `${source} (${kind}, ${how}): accepted ${rows} rows of ${parser.D}, but it declares ${declared.rows} of ${declared.D}`,
        );
      } else {
        tally.accepted++;
      }
    } catch (error) {
      const problem = clearRefusal(error, source);
      if (problem === null) tally.clearErrors++;
      else tally.crashes.push(`${source} (${kind}, ${how}, chunks of ${chunk}): ${problem}`);
    }
    tally.slowestMs = Math.max(tally.slowestMs, performance.now() - started);
    noteMemory(tally);
  }
  report('in memory', tally);
  assert.equal(tally.crashes, []);
  assert.ok(tally.clearErrors > CASES_IN_MEMORY / 2, `most mutations should be refused (${tally.clearErrors})`);
  assert.ok(tally.peakRssGrowth < MEMORY_BOUND_BYTES, `RSS grew ${tally.peakRssGrowth} bytes`);
});

const MEBIBYTE_OF_ZEROS = gzipSync(new Uint8Array(2 ** 20));

/** Reads every row of the file at `path` through fileSource, within CASE_TIMEOUT_MS. */
async function readFile(
  path: string,
  options: { format?: 'raw-u8' | 'raw-f32'; dim?: number },
): Promise<{ rows: number; D: number }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('hang'), { hang: true })), CASE_TIMEOUT_MS);
  });
  const read = (async () => {
    let rows = 0;
    let D = 0;
    for await (const block of fileSource(path, options).open()) {
      rows += block.rows;
      D = block.D;
    }
    return { rows, D };
  })();
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

test(`${CASES_GZIP} mutated .gz files and gzip bombs through files on disk: not gzip, truncated or corrupt, said clearly`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-fuzz-'));
  const tally = newTally();
  const kinds: Kind[] = ['idx', 'npy', 'raw-u8', 'raw-f32'];
  try {
    for (let i = 0; i < CASES_GZIP; i++) {
      const kind = kinds[i % kinds.length];
      const { bytes: valid, D } = validInput(kind);
      let inner = valid;
      let how: string;
      let expected: { rows: number; D: number } | null = null;
      const r = int(10);
      let bomb: Uint8Array | null = null;
      if (r === 0) {
        // A bomb: 16 MiB of zeros in 16 KiB of gzip (members of 1 MiB each, so the test never holds the 16 MiB),
        // or 64 KiB of zeros behind a valid file.
        if (kind === 'raw-u8' || kind === 'raw-f32') {
          bomb = new Uint8Array(16 * MEBIBYTE_OF_ZEROS.length);
          for (let m = 0; m < 16; m++) bomb.set(MEBIBYTE_OF_ZEROS, m * MEBIBYTE_OF_ZEROS.length);
        } else {
          inner = Uint8Array.from([...valid, ...new Uint8Array(1 << 16)]);
        }
        if (kind === 'raw-u8') expected = { rows: (16 * 2 ** 20) / D, D };
        how = 'gzip bomb';
      } else if (r <= 3) {
        ({ bytes: inner, how } = mutate(kind, valid));
        how = `inner ${how}`;
      } else {
        how = 'compressed bytes mutated';
      }
      let compressed: Uint8Array = bomb ?? gzipSync(inner);
      if (r > 3) {
        const c = Uint8Array.from(compressed);
        const m = int(5);
        if (m === 0) compressed = c.subarray(0, int(c.length));
        else if (m === 1) c[int(c.length)] ^= 1 << int(8);
        else if (m === 2) compressed = Uint8Array.from([...c, ...Array.from({ length: 1 + int(20) }, () => int(256))]);
        else if (m === 3) c.fill(0, 10 + int(c.length - 10));
        else compressed = c.subarray(int(4)); // the magic damaged or gone
        if (m === 1 || m === 3) compressed = c;
        how += ` (${['truncated', 'bit flip', 'garbage appended', 'zeroed tail', 'head cut'][m]})`;
      }
      if (kind === 'raw-f32' && r === 0) expected = null; // zeros are valid floats too: accepted with whole rows
      const name = `fuzz-${i}.${kind === 'idx' ? 'idx' : kind === 'npy' ? 'npy' : 'bin'}.gz`;
      const path = join(dir, name);
      writeFileSync(path, compressed);
      tally.inputs++;
      const started = performance.now();
      try {
        const got = await readFile(path, kind === 'raw-u8' || kind === 'raw-f32' ? { format: kind, dim: D } : {});
        if (expected !== null && (got.rows !== expected.rows || got.D !== expected.D)) {
          tally.crashes.push(
            `${name} (${how}): accepted ${got.rows}×${got.D}, expected ${expected.rows}×${expected.D}`,
          );
        } else {
          tally.accepted++;
        }
      } catch (error) {
        if ((error as { hang?: boolean }).hang) {
          tally.hangs++;
        } else {
          const problem = clearRefusal(error, path);
          if (problem === null) tally.clearErrors++;
          else tally.crashes.push(`${name} (${how}): ${problem}`);
        }
      }
      tally.slowestMs = Math.max(tally.slowestMs, performance.now() - started);
      noteMemory(tally);
      rmSync(path);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report('gzip on disk', tally);
  assert.equal(tally.crashes, []);
  assert.is(tally.hangs, 0);
  assert.ok(tally.peakRssGrowth < MEMORY_BOUND_BYTES, `RSS grew ${tally.peakRssGrowth} bytes`);
});

test("the issue's memory bombs are refused before anything is buffered", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-bombs-'));
  // A .npy (format 2) whose header length is 0xFFFFFFF0, gzipped with 4 MB of padding behind it.
  const npy = new Uint8Array(12 + 4 * 2 ** 20);
  npy.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
  new DataView(npy.buffer).setUint32(8, 0xfffffff0, true);
  writeFileSync(join(dir, 'huge-header.npy.gz'), gzipSync(npy));
  // An IDX promising one row of 4 GiB, followed by 128 MiB of zeros (128 KiB gzipped): the row must not be
  // gathered (nor regrown chunk by chunk) before the header is judged.
  // Written as gzip members (one for the header, then one per MiB of zeros), so that the test itself never
  // holds the 128 MiB.
  const header = gzipSync(Uint8Array.from([0, 0, 0x08, 3, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0])); // 1 × 65536 × 65536 u8
  const mebibyte = gzipSync(new Uint8Array(2 ** 20));
  const members = new Uint8Array(header.length + 128 * mebibyte.length);
  members.set(header);
  for (let i = 0; i < 128; i++) members.set(mebibyte, header.length + i * mebibyte.length);
  writeFileSync(join(dir, 'huge-row.idx.gz'), members);
  const before = process.memoryUsage().rss;
  await rejectsWith(
    () => readFile(join(dir, 'huge-row.idx.gz'), {}),
    /huge-row\.idx\.gz: at byte 8: a row of 65536×65536 = 4294967296 values is over the limit of 33554432 values per row/,
  );
  await rejectsWith(
    () => readFile(join(dir, 'huge-header.npy.gz'), {}),
    /huge-header\.npy\.gz: at byte 8: the header length 4294967280 is over the limit of 1048576 bytes/,
  );
  const growth = process.memoryUsage().rss - before;
  console.log(`  memory bombs: RSS grew ${(growth / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(growth < 64 * 2 ** 20, `RSS grew ${growth} bytes`);
  rmSync(dir, { recursive: true, force: true });
});

test.run();
