/**
 * Parameter averaging (issue 15): test ELBO against samples seen for N = 2 trainers that average every H ∈ {10,
 * 100, 1000} steps (`aevb train --peers redis://…`, two real processes on the WebGPU adapter, lavapipe here),
 * next to N = 1 at the same total samples; and the seconds and bytes of an averaging round, from the
 * 'averaging' records of metrics.jsonl. A real redis-server is started here on a free port (no persistence)
 * and stopped at the end.
 *
 * Data: the first TRAIN_ROWS rows of the bundled MNIST training set, written here as .npy; N = 1 trains on all
 * of them, trainer r of N = 2 on its half (data-parallel: each trainer its shard), for EPOCHS epochs, so both
 * settings see the same total samples, each row EPOCHS times. Test: the first TEST_ROWS MNIST test rows
 * (binarized once, as aevb does), scored after every epoch: N = 1 every TRAIN_ROWS samples, rank 0 of N = 2
 * every TRAIN_ROWS / 2 of its own, i.e. every TRAIN_ROWS in all. Model 784-100-10, minibatch 20, Adam 1e-3;
 * both trainers of a pair use the same --seed (the same initial parameters, as averaging from a common start
 * needs). The steps per trainer are a multiple of every H, so the final model of N = 2 is an average.
 *
 * Run:  node --import tsx bench/peers_averaging.ts [--quick]     (--quick: 2 epochs, H ∈ {10, 100})
 * Writes out/peers_averaging.png (the curves). Numbers are for comparison within one run on one
 * machine (shared, noisy); never used as test assertions.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileSource } from '../src/data/file_source.node.ts';
import { mnistFile } from '../src/data/mnist.node.ts';
import { writeLineChart } from '../src/io/line_chart_png.node.ts';
import { startRedisServer } from '../test/servers/redis_server.ts';
import { npyBytes } from '../test/npy_writer.ts';
import { median } from './timing.ts';

const quick = process.argv.includes('--quick');
const D = 784;
const TRAIN_ROWS = 8000;
const TEST_ROWS = 2000;
const EPOCHS = quick ? 2 : 10;
const B = 20;
const HS = quick ? [10, 100] : [10, 100, 1000];
const MODEL = ['--hidden', '100', '--latent', '10', '--batch', String(B), '--seed', '1', '--metrics-every', '100'];
const bin = fileURLToPath(new URL('../bin/aevb.js', import.meta.url));
const chartPath = fileURLToPath(new URL('../out/peers_averaging.png', import.meta.url));

/** The first `count` rows of an MNIST split, as u8. */
async function mnistRows(split: 'train' | 'test', count: number): Promise<Uint8Array> {
  const rows = new Uint8Array(count * D);
  let filled = 0;
  for await (const block of fileSource(mnistFile(split)).open()) {
    const take = Math.min(block.rows, count - filled);
    rows.set((block.values as Uint8Array).subarray(0, take * D), filled * D);
    filled += take;
    if (filled === count) break;
  }
  return rows;
}

const dir = mkdtempSync(join(tmpdir(), 'aevb-peers-bench-'));
const file = (name: string, rows: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, npyBytes('|u1', [rows.length / D, D], rows));
  return path;
};
const train = await mnistRows('train', TRAIN_ROWS);
const whole = file('train.npy', train);
const halves = [0, 1].map((r) => file(`train-${r}.npy`, train.subarray((r * TRAIN_ROWS * D) / 2, ((r + 1) * TRAIN_ROWS * D) / 2)));
const testFile = file('test.npy', await mnistRows('test', TEST_ROWS));

function aevb(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`aevb ${args.join(' ')} failed (${code}): ${stderr}`))));
  });
}

type RecordLine = { type: string; samples?: number; test_elbo?: number; seconds?: number; bytes_sent?: number; bytes_received?: number; time: string; members?: number[] };
const records = (out: string): RecordLine[] => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RecordLine);

interface Setting {
  name: string;
  /** [total samples, test ELBO] after each epoch. */
  curve: Array<[number, number]>;
  seconds: number;
  rounds: RecordLine[][];
}

const server = await startRedisServer();
const settings: Setting[] = [];
console.log(`MNIST subset: ${TRAIN_ROWS} training rows (N = 2: ${TRAIN_ROWS / 2} per trainer), ${TEST_ROWS} test rows; ${EPOCHS} epochs = ${EPOCHS * TRAIN_ROWS} samples in all; 784-100-10, B = ${B}; redis-server on ${server.url}\n`);
try {
  {
    const out = join(dir, 'n1');
    const started = performance.now();
    await aevb(['train', '--data', whole, '--test-data', testFile, '--epochs', String(EPOCHS), ...MODEL, '--out', out]);
    const curve = records(out).filter((r) => r.type === 'test').map((r): [number, number] => [r.samples!, r.test_elbo!]);
    settings.push({ name: 'N = 1', curve, seconds: (performance.now() - started) / 1000, rounds: [] });
  }
  for (const H of HS) {
    const outs = [0, 1].map((r) => join(dir, `n2-h${H}-r${r}`));
    const started = performance.now();
    await Promise.all([0, 1].map((r) => aevb(['train', '--data', halves[r], '--test-data', testFile, '--epochs', String(EPOCHS), ...MODEL,
      '--peers', `${server.url}/avg-h${H}?size=2&rank=${r}&every=${H}&deadline=60000`, '--out', outs[r]])));
    const seconds = (performance.now() - started) / 1000;
    const curve = records(outs[0]).filter((r) => r.type === 'test').map((r): [number, number] => [2 * r.samples!, r.test_elbo!]);
    settings.push({ name: `N = 2, H = ${H}`, curve, seconds, rounds: outs.map((o) => records(o).filter((r) => r.type === 'averaging')) });
  }
} finally {
  await server.stop();
}

const samplesAt = settings[0].curve.map(([s]) => s);
console.log('test ELBO (nats, rank 0\'s model for N = 2) after total samples seen:');
console.log(`setting          | ${samplesAt.map((s) => String(s).padStart(8)).join(' | ')} | wall (s)`);
for (const s of settings) console.log(`${s.name.padEnd(16)} | ${s.curve.map(([, e]) => e.toFixed(2).padStart(8)).join(' | ')} | ${s.seconds.toFixed(0).padStart(8)}`);

console.log('\naveraging rounds (per trainer; seconds include waiting for the other trainer):');
console.log('H    | rounds | both members | s per round (median, rank 0 / rank 1) | MB sent per round (r0 / r1) | MB received per round (r0 / r1)');
for (const s of settings.slice(1)) {
  const [r0, r1] = s.rounds;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const both = r0.filter((r) => r.members?.length === 2).length;
  const mb = (rs: RecordLine[], key: 'bytes_sent' | 'bytes_received') => (mean(rs.map((r) => r[key]!)) / 1e6).toFixed(2);
  console.log(`${s.name.replace('N = 2, H = ', '').padEnd(4)} | ${String(r0.length).padStart(6)} | ${String(both).padStart(12)} | ${median(r0.map((r) => r.seconds!)).toFixed(3)} / ${median(r1.map((r) => r.seconds!)).toFixed(3)}`.padEnd(80) +
    ` | ${mb(r0, 'bytes_sent')} / ${mb(r1, 'bytes_sent')} | ${mb(r0, 'bytes_received')} / ${mb(r1, 'bytes_received')}`);
}

mkdirSync(join(chartPath, '..'), { recursive: true });
writeLineChart(chartPath, {
  title: 'Test ELBO: N = 1, and N = 2 averaging every H steps',
  xLabel: 'samples seen (all trainers)',
  yLabel: 'test ELBO (nats)',
  xScale: 'linear',
  series: settings.map((s) => ({ name: s.name, points: s.curve })),
});
console.log(`\nchart: ${chartPath}`);
