/**
 * Memory of a streamed run against the size of its dataset: writes synthetic MNIST-shaped datasets of ~1 GB
 * and ~20 GB to a temporary directory (as shards of 784-byte rows in .npy, the shape a large dataset has on
 * disk; removed afterwards), then trains the same number of steps from each, and from an unbounded generator,
 * each in a fresh process, and prints each peak RSS and the ratios. The step count is chosen so the 1 GB set
 * is read more than once through (its second epoch starts), while the 20 GB one is only partly read: memory
 * must not care either way.
 *
 * Run:  node --import tsx bench/stream_memory.ts [--steps N] [--small-gb G] [--large-gb G]
 * Needs large-gb + small-gb + 2 GB free in the temporary directory (checked first; the large set is skipped
 * with a message if there is not). Takes several minutes, most of it writing the files.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { philoxUniforms } from '../src/random/philox.ts';

const flag = (name: string, fallback: number) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback;
const STEPS = flag('--steps', 1500);
const BATCH = 1000;
const WINDOW = 60_000;
const SMALL_GB = flag('--small-gb', 1);
const LARGE_GB = flag('--large-gb', 20);
const D = 784;
const SHARD_ROWS = 500_000; // ~392 MB per shard

/** One .npy header for `rows` rows of D u8 values (numpy's format 1.0, padded to 64 bytes). */
function npyHeader(rows: number): Uint8Array {
  let text = `{'descr': '|u1', 'fortran_order': False, 'shape': (${rows}, ${D}), }`;
  text += ' '.repeat((64 - ((10 + text.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + text.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, text.length, true);
  out.set(new TextEncoder().encode(text), 10);
  return out;
}

/** Writes ~gb GB of shards; the rows repeat a 4096-row random pattern (content does not matter here, bytes do). */
function writeDataset(dir: string, gb: number): number {
  const pattern = Uint8Array.from(philoxUniforms(1, 0, 9, 4096 * D), (u) => (u < 0.2 ? 255 : 0));
  let rowsLeft = Math.round((gb * 1e9) / D);
  const total = rowsLeft;
  for (let shard = 0; rowsLeft > 0; shard++) {
    const rows = Math.min(SHARD_ROWS, rowsLeft);
    const fd = openSync(join(dir, `part-${String(shard).padStart(5, '0')}.npy`), 'w');
    writeSync(fd, npyHeader(rows));
    for (let r = 0; r < rows; r += 4096) writeSync(fd, pattern, 0, Math.min(4096, rows - r) * D);
    closeSync(fd);
    rowsLeft -= rows;
  }
  return total;
}

function measure(data: string): { peakRssMiB: number; seconds: number; rows: number } {
  const child = fileURLToPath(new URL('./stream_memory_run.ts', import.meta.url));
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      child,
      '--data',
      data,
      '--steps',
      String(STEPS),
      '--batch',
      String(BATCH),
      '--shuffle-window',
      String(WINDOW),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

const base = mkdtempSync(join(tmpdir(), 'aevb-stream-memory-'));
try {
  const fs = statfsSync(base);
  const freeGb = (fs.bavail * fs.bsize) / 1e9;
  const large = freeGb >= SMALL_GB + LARGE_GB + 2;
  console.log(
    `free in ${tmpdir()}: ${freeGb.toFixed(1)} GB; ${STEPS} steps of M=${BATCH} from each (${(STEPS * BATCH).toLocaleString()} rows), shuffle window ${WINDOW} rows`,
  );
  const results: Array<[string, { peakRssMiB: number; seconds: number }]> = [];
  for (const [label, gb] of [
    [`${SMALL_GB} GB`, SMALL_GB],
    [`${LARGE_GB} GB`, LARGE_GB],
  ] as const) {
    if (gb === LARGE_GB && !large) {
      console.log(`${label}: skipped, needs ${SMALL_GB + LARGE_GB + 2} GB free`);
      continue;
    }
    const dir = join(base, label.replace(' ', ''));
    execFileSync('mkdir', ['-p', dir]);
    const t = performance.now();
    const rows = writeDataset(dir, gb);
    console.log(`${label}: wrote ${rows.toLocaleString()} rows in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    results.push([label, measure(dir)]);
    rmSync(dir, { recursive: true, force: true });
  }
  results.push(['unbounded generator', measure('synthetic:infx784')]);
  const reference = results[0][1].peakRssMiB;
  console.log('\ndataset              | peak RSS (MiB) | vs first | training time (s)');
  for (const [label, r] of results) {
    console.log(
      `${label.padEnd(20)} | ${r.peakRssMiB.toFixed(0).padStart(14)} | ${(r.peakRssMiB / reference).toFixed(3).padStart(8)} | ${r.seconds.toFixed(0)}`,
    );
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}
