// `aevb encode`: on a .npy and on an IDX file (with gzipped IDX labels) it writes a float32 .npy whose header
// NumPy reads (format 1.0, 64-byte aligned, parsed back here with the repo's own .npy reader) and whose rows
// are [μ | log σ²] exactly as Vae.encode gives them for the same rows; labels are copied beside it in the
// same order with their dtype; --sample writes (N, Z) z reproducible by seed whatever the chunk; a labels
// count that differs from the rows is refused naming both files, and leaves no output behind; so are data rows
// of the wrong length and a missing data file; Ctrl-C exits 130 and leaves no file behind.
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { assertClose } from './assert_close.ts';
import { gpuSuite } from './gpu_suite.ts';
import { npyBytes } from './npy_writer.ts';
import { seededUniform } from './seeded_random.ts';
import { readNpyDictionary } from '../src/data/npy_rows.ts';
import { writeCheckpoint } from '../src/io/checkpoint.node.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { Vae } from '../src/vae/vae.ts';
import { philoxNormals } from '../src/random/philox.ts';
import { RANDOM_STREAMS } from '../src/random/streams.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../src/train/train_config.ts';
import { AEVB_BIN, runAevb } from './cli_process.ts';

const test = gpuSuite('aevb encode');
const bin = AEVB_BIN;
const CONFIG: TrainConfig = {
  ...DEFAULT_TRAIN_CONFIG,
  D: 12,
  hidden: [7],
  latent: 3,
  activation: 'tanh',
  init: 'glorot',
  seed: 31,
};
const Z = CONFIG.latent;

const aevb = (...args: string[]) => runAevb(args, 120_000);

async function run(...args: string[]): Promise<string> {
  const r = await aevb(...args);
  if (r.code !== 0) throw new Error(`aevb ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

function idxBytes(typeCode: number, dims: number[], payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  out.set([0, 0, typeCode, dims.length]);
  dims.forEach((d, i) => new DataView(out.buffer).setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

/** A written .npy, checked byte by byte against NumPy's format 1.0, with its header and data bytes. */
function readNpy(path: string): { descr: string; dims: number[]; data: Uint8Array } {
  const bytes = new Uint8Array(readFileSync(path));
  assert.equal(
    Array.from(bytes.subarray(0, 8)),
    [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0],
    `${path}: magic, version 1.0`,
  );
  const header = readNpyDictionary(bytes, path);
  if ('need' in header) throw new Error(`${path}: the header is cut short`);
  assert.is(new DataView(bytes.buffer).getUint16(8, true), header.dataOffset - 10, 'the u16 header length');
  assert.is(header.dataOffset % 64, 0, 'the data starts on a 64-byte boundary');
  assert.is(bytes[header.dataOffset - 1], 0x0a, "the header ends with '\\n'");
  const dict = new TextDecoder('latin1').decode(bytes.subarray(10, header.dataOffset));
  assert.match(
    dict,
    /^\{'descr': '[<>|][a-zA-Z]\d+', 'fortran_order': False, 'shape': \([\d, ]+\), \} *\n$/,
    'the dict NumPy writes',
  );
  assert.is(header.fortranOrder, false);
  return { descr: header.descr, dims: header.dims, data: bytes.subarray(header.dataOffset) };
}

const floats = (data: Uint8Array) => {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return Float32Array.from({ length: data.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
};

/** [μ | log σ²] rows from Vae.encode's separate halves. */
function interleaved(mu: Float32Array, logVar: Float32Array): number[] {
  const out: number[] = [];
  for (let r = 0; r < mu.length / Z; r++)
    out.push(...mu.subarray(r * Z, (r + 1) * Z), ...logVar.subarray(r * Z, (r + 1) * Z));
  return out;
}

interface Fixture {
  dir: string;
  vae: Vae;
}

async function fixture(gpu: GpuContext): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-encode-'));
  const vae = await Vae.create(CONFIG, { gpu });
  writeCheckpoint(join(dir, 'run'), {
    snapshot: { config: CONFIG, step: 0, tensors: await vae.parameters() },
    run: null,
  });
  return { dir, vae };
}

test('a .npy of float rows with .npy labels: a NumPy header, rows equal to Vae.encode, labels copied in order', async ({
  gpu,
}) => {
  const { dir, vae } = await fixture(gpu);
  try {
    const rows = 37;
    const x = Float32Array.from(seededUniform(11, rows * CONFIG.D));
    writeFileSync(join(dir, 'x.npy'), npyBytes('<f4', [rows, 3, 4], x));
    const labels = npyBytes(
      '<f8',
      [rows],
      Array.from({ length: rows }, (_, i) => ((i * 7) % 10) + 0.5),
    );
    writeFileSync(join(dir, 'y.npy'), labels);
    const out = join(dir, 'latents.npy');
    const stdout = await run(
      'encode',
      '--checkpoint',
      join(dir, 'run'),
      '--data',
      join(dir, 'x.npy'),
      '--labels',
      join(dir, 'y.npy'),
      '--out',
      out,
      '--chunk',
      '5',
    );
    assert.match(stdout, `wrote ${out}: 37 rows × 6 float32, [μ | log σ²] (Z = 3)`);
    assert.match(stdout, `wrote ${join(dir, 'latents.labels.npy')}: 37 labels ('<f8')`);
    const latents = readNpy(out);
    assert.equal([latents.descr, latents.dims], ['<f4', [rows, 2 * Z]]);
    assert.is(latents.data.length, rows * 2 * Z * 4, 'nothing after the rows');
    const expected = await vae.encode(x);
    assert.equal(Array.from(floats(latents.data)), interleaved(expected.mu, expected.logVar));
    const copied = readNpy(join(dir, 'latents.labels.npy'));
    assert.equal([copied.descr, copied.dims], ['<f8', [rows]]);
    assert.equal(
      Array.from(copied.data),
      Array.from(labels.subarray(labels.length - rows * 8)),
      "the labels' bytes, unchanged",
    );
    assert.equal(
      readdirSync(dir).sort(),
      ['latents.labels.npy', 'latents.npy', 'run', 'x.npy', 'y.npy'],
      'no temporary files left',
    );
  } finally {
    vae.destroy();
  }
});

test('an IDX file of bytes with gzipped IDX labels: rows scaled by 1/255 and encoded, u8 labels as |u1', async ({
  gpu,
}) => {
  const { dir, vae } = await fixture(gpu);
  try {
    const rows = 29;
    const pixels = Uint8Array.from(seededUniform(12, rows * CONFIG.D), (u) => Math.floor(u * 256));
    writeFileSync(join(dir, 'images-idx3-ubyte'), idxBytes(0x08, [rows, 3, 4], pixels));
    const labels = Uint8Array.from({ length: rows }, (_, i) => (i * 3) % 10);
    writeFileSync(join(dir, 'labels-idx1-ubyte.gz'), gzipSync(idxBytes(0x08, [rows], labels)));
    const out = join(dir, 'idx.npy');
    await run(
      'encode',
      '--checkpoint',
      join(dir, 'run'),
      '--data',
      join(dir, 'images-idx3-ubyte'),
      '--labels',
      join(dir, 'labels-idx1-ubyte.gz'),
      '--out',
      out,
      '--chunk',
      '8',
    );
    const latents = readNpy(out);
    assert.equal(latents.dims, [rows, 2 * Z]);
    const expected = await vae.encode(Float32Array.from(pixels, (v) => v / 255));
    assert.equal(Array.from(floats(latents.data)), interleaved(expected.mu, expected.logVar));
    const copied = readNpy(join(dir, 'idx.labels.npy'));
    assert.equal([copied.descr, copied.dims, Array.from(copied.data)], ['|u1', [rows], Array.from(labels)]);
  } finally {
    vae.destroy();
  }
});

test('--sample writes (N, Z) z = μ + σ ⊙ ε, the same for a seed whatever the chunk, another for another seed', async ({
  gpu,
}) => {
  const { dir, vae } = await fixture(gpu);
  try {
    const rows = 23;
    const x = Float32Array.from(seededUniform(13, rows * CONFIG.D));
    writeFileSync(join(dir, 'x.npy'), npyBytes('<f4', [rows, CONFIG.D], x));
    const sample = async (name: string, ...flags: string[]) => {
      await run(
        'encode',
        '--checkpoint',
        join(dir, 'run'),
        '--data',
        join(dir, 'x.npy'),
        '--out',
        join(dir, name),
        '--sample',
        ...flags,
      );
      return readNpy(join(dir, name));
    };
    const a = await sample('a.npy', '--seed', '5', '--chunk', '4');
    const b = await sample('b.npy', '--seed', '5', '--chunk', '100');
    const c = await sample('c.npy', '--seed', '6');
    assert.equal([a.descr, a.dims], ['<f4', [rows, Z]]);
    assert.equal(Array.from(a.data), Array.from(b.data), 'the same seed: the same bytes, chunks of 4 or one chunk');
    assert.not.equal(Array.from(a.data), Array.from(c.data), 'another seed: another z');
    const { mu, logVar } = await vae.encode(x);
    const expected = new Float64Array(rows * Z);
    for (let r = 0; r < rows; r++) {
      const eps = philoxNormals(5, r, RANDOM_STREAMS.encodingNoise, Z);
      for (let j = 0; j < Z; j++) expected[r * Z + j] = mu[r * Z + j] + Math.exp(0.5 * logVar[r * Z + j]) * eps[j];
    }
    assertClose(floats(a.data), expected, { atol: 1e-6, rtol: 1e-5, label: 'z' });
  } finally {
    vae.destroy();
  }
});

test('labels that do not match the rows, or are not labels, are refused naming the files; nothing is written', async ({
  gpu,
}) => {
  const { dir, vae } = await fixture(gpu);
  try {
    const rows = 20;
    const data = join(dir, 'x.npy');
    writeFileSync(data, npyBytes('|u1', [rows, CONFIG.D], new Uint8Array(rows * CONFIG.D).fill(128)));
    writeFileSync(join(dir, 'short-idx1-ubyte'), idxBytes(0x08, [rows - 1], new Uint8Array(rows - 1)));
    writeFileSync(join(dir, 'long.npy'), npyBytes('<f4', [rows + 5], new Float32Array(rows + 5)));
    writeFileSync(join(dir, 'images-idx3-ubyte'), idxBytes(0x08, [rows, 3, 4], new Uint8Array(rows * 12)));
    writeFileSync(join(dir, 'cut-idx1-ubyte'), idxBytes(0x08, [rows], new Uint8Array(rows)).subarray(0, 8 + rows - 3));
    const out = join(dir, 'z.npy');
    for (const [labels, expected] of [
      ['short-idx1-ubyte', `holds ${rows - 1} labels, but ${data} has more than ${rows - 1} rows`],
      ['long.npy', `holds ${rows + 5} labels, but ${data} has ${rows} rows`],
      ['images-idx3-ubyte', 'expected labels, one per row (a 1-D IDX file'],
      ['cut-idx1-ubyte', `the header promises ${rows} labels`],
    ]) {
      const r = await aevb(
        'encode',
        '--checkpoint',
        join(dir, 'run'),
        '--data',
        data,
        '--labels',
        join(dir, labels),
        '--out',
        out,
        '--chunk',
        '8',
      );
      assert.is(r.code, 1, labels);
      assert.match(r.stderr, `aevb: ${join(dir, labels)}: `);
      assert.match(r.stderr, expected);
      assert.not.ok(existsSync(out), `${labels}: no latents written`);
      assert.not.ok(existsSync(join(dir, 'z.labels.npy')), `${labels}: no labels written`);
      assert.ok(
        readdirSync(dir).every((f) => !f.includes('.tmp-')),
        `${labels}: no temporary files left`,
      );
    }
    writeFileSync(join(dir, 'wide.npy'), npyBytes('|u1', [2, 13], new Uint8Array(26)));
    for (const [path, expected] of [
      [join(dir, 'wide.npy'), 'rows have 13 values, but the model encodes rows of D = 12'],
      [join(dir, 'missing.npy'), 'cannot read the data (ENOENT)'],
    ]) {
      const r = await aevb('encode', '--checkpoint', join(dir, 'run'), '--data', path, '--out', out);
      assert.is(r.code, 1, path);
      assert.match(r.stderr, `aevb: ${path}: ${expected}`);
      assert.not.ok(existsSync(out));
    }
  } finally {
    vae.destroy();
  }
});

test('Ctrl-C while encoding an unbounded stream: exit 130, the rows so far said, no file left behind', async ({
  gpu,
}) => {
  const { dir, vae } = await fixture(gpu);
  vae.destroy();
  const out = join(dir, 'endless.npy');
  const child = spawn(process.execPath, [
    bin,
    'encode',
    '--checkpoint',
    join(dir, 'run'),
    '--data',
    `synthetic:infx${CONFIG.D}`,
    '--out',
    out,
    '--chunk',
    '50',
  ]);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // The temporary file appears once the signal handler is in place and rows are being written.
  const started = performance.now();
  while (!readdirSync(dir).some((f) => f.startsWith('endless.npy.tmp-'))) {
    if (performance.now() - started > 60_000) throw new Error(`aevb encode never started writing: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGINT');
  assert.is(await exited, 130, stderr);
  assert.match(stderr, /aevb: interrupted after \d+ rows; nothing was written to /);
  assert.equal(readdirSync(dir).sort(), ['run'], 'neither the .npy nor its temporary file');
});

test.run();
