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
 * needs). Every pair ends with the final round, so both ranks' last checkpoints must hold the same bits (checked).
 *
 * A dead rank (issue 21): N = 2, H = 100 again, with deadline=1000 and the default heartbeat (1 s, gone after
 * 3 s), rank 1 killed with SIGKILL once it has averaged a quarter of its rounds; rank 0 trains on alone. Its
 * rounds before and after the kill and its wall time are set beside the healthy H = 100 pair's.
 *
 * Run:  node --import tsx bench/peers_averaging.ts [--quick] [--dead-rank-only]
 *       (--quick: 2 epochs, H ∈ {10, 100}; --dead-rank-only: the healthy H = 100 pair and the dead-rank run)
 * Writes out/peers_averaging.png (the curves). Numbers are for comparison within one run on one
 * machine (shared, noisy); never used as test assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileSource } from '../src/data/file_source.node.ts';
import { readCheckpoint } from '../src/io/checkpoint.node.ts';
import { mnistFile } from '../src/data/mnist.node.ts';
import { writeLineChart } from '../src/io/line_chart_png.node.ts';
import { startRedisServer } from '../test/servers/redis_server.ts';
import { npyBytes } from '../test/npy_writer.ts';
import { median } from './timing.ts';

const quick = process.argv.includes('--quick');
const deadRankOnly = process.argv.includes('--dead-rank-only');
const D = 784;
const TRAIN_ROWS = 8000;
const TEST_ROWS = 2000;
const EPOCHS = quick ? 2 : 10;
const B = 20;
const HS = deadRankOnly ? [100] : quick ? [10, 100] : [10, 100, 1000];
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
const halves = [0, 1].map((r) =>
  file(`train-${r}.npy`, train.subarray((r * TRAIN_ROWS * D) / 2, ((r + 1) * TRAIN_ROWS * D) / 2)),
);
const testFile = file('test.npy', await mnistRows('test', TEST_ROWS));

/** An aevb process: `done` resolves when it exits 0 (or, with `killable`, by a signal). */
function aevbProcess(args: string[], killable = false): { child: ChildProcess; done: Promise<void> } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) =>
      code === 0 || (killable && signal !== null)
        ? resolve()
        : reject(new Error(`aevb ${args.join(' ')} failed (${code}): ${stderr}`)),
    );
  });
  return { child, done };
}
const aevb = (args: string[]) => aevbProcess(args).done;

type RecordLine = {
  type: string;
  samples?: number;
  test_elbo?: number;
  seconds?: number;
  bytes_sent?: number;
  bytes_received?: number;
  time: string;
  members?: number[];
  final?: boolean;
};
// Whole lines only: a file still being written may end in a partial one.
const records = (out: string): RecordLine[] =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .slice(0, -1)
    .map((l) => JSON.parse(l) as RecordLine);

/** Whether the model's parameters in two runs' last checkpoints are the same bits (optimizer state aside). */
function sameParameters(a: string, b: string): boolean {
  const [ta, tb] = [a, b].map((out) =>
    readCheckpoint(out).snapshot.tensors.filter((t) => !t.name.startsWith('optimizer.')),
  );
  return (
    ta.length === tb.length &&
    ta.every(
      (t, i) =>
        t.name === tb[i].name &&
        Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(
          Buffer.from(tb[i].data.buffer, tb[i].data.byteOffset, tb[i].data.byteLength),
        ),
    )
  );
}

interface Setting {
  name: string;
  /** [total samples, test ELBO] after each epoch. */
  curve: Array<[number, number]>;
  seconds: number;
  rounds: RecordLine[][];
  /** Whether both ranks' last checkpoints hold the same parameters (N = 2). */
  identical?: boolean;
}

const server = await startRedisServer();
const settings: Setting[] = [];
let dead: (Setting & { killedAt: number }) | null = null;
console.log(
  `MNIST subset: ${TRAIN_ROWS} training rows (N = 2: ${TRAIN_ROWS / 2} per trainer), ${TEST_ROWS} test rows; ${EPOCHS} epochs = ${EPOCHS * TRAIN_ROWS} samples in all; 784-100-10, B = ${B}; redis-server on ${server.url}\n`,
);
try {
  if (!deadRankOnly) {
    const out = join(dir, 'n1');
    const started = performance.now();
    await aevb(['train', '--data', whole, '--test-data', testFile, '--epochs', String(EPOCHS), ...MODEL, '--out', out]);
    const curve = records(out)
      .filter((r) => r.type === 'test')
      .map((r): [number, number] => [r.samples!, r.test_elbo!]);
    settings.push({ name: 'N = 1', curve, seconds: (performance.now() - started) / 1000, rounds: [] });
  }
  for (const H of HS) {
    const outs = [0, 1].map((r) => join(dir, `n2-h${H}-r${r}`));
    const started = performance.now();
    await Promise.all(
      [0, 1].map((r) =>
        aevb([
          'train',
          '--data',
          halves[r],
          '--test-data',
          testFile,
          '--epochs',
          String(EPOCHS),
          ...MODEL,
          '--peers',
          `${server.url}/avg-h${H}?size=2&rank=${r}&every=${H}&deadline=60000`,
          '--out',
          outs[r],
        ]),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const curve = records(outs[0])
      .filter((r) => r.type === 'test')
      .map((r): [number, number] => [2 * r.samples!, r.test_elbo!]);
    settings.push({
      name: `N = 2, H = ${H}`,
      curve,
      seconds,
      rounds: outs.map((o) => records(o).filter((r) => r.type === 'averaging')),
      identical: sameParameters(outs[0], outs[1]),
    });
  }
  {
    const H = 100;
    const outs = [0, 1].map((r) => join(dir, `dead-h${H}-r${r}`));
    const started = performance.now();
    const ranks = [0, 1].map((r) =>
      aevbProcess(
        [
          'train',
          '--data',
          halves[r],
          '--test-data',
          testFile,
          '--epochs',
          String(EPOCHS),
          ...MODEL,
          '--peers',
          `${server.url}/dead-h${H}?size=2&rank=${r}&every=${H}&deadline=1000`,
          '--out',
          outs[r],
        ],
        r === 1,
      ),
    );
    const roundsPerRank = (EPOCHS * TRAIN_ROWS) / 2 / B / H;
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const done = existsSync(join(outs[1], 'metrics.jsonl'))
        ? records(outs[1]).filter((r) => r.type === 'averaging').length
        : 0;
      if (done >= roundsPerRank / 4) break;
    }
    ranks[1].child.kill('SIGKILL');
    const killedAt = Date.now();
    await Promise.all(ranks.map((r) => r.done));
    const seconds = (performance.now() - started) / 1000;
    const curve = records(outs[0])
      .filter((r) => r.type === 'test')
      .map((r): [number, number] => [2 * r.samples!, r.test_elbo!]);
    const rounds = records(outs[0]).filter((r) => r.type === 'averaging');
    dead = { name: `N = 2, H = ${H}, rank 1 killed`, curve, seconds, rounds: [rounds], killedAt };
  }
} finally {
  await server.stop();
}

const samplesAt = settings[0].curve.map(([s]) => s);
console.log("test ELBO (nats, rank 0's model for N = 2) after total samples seen:");
console.log(`setting          | ${samplesAt.map((s) => String(s).padStart(8)).join(' | ')} | wall (s)`);
for (const s of [...settings, ...(dead === null ? [] : [dead])])
  console.log(
    `${s.name.padEnd(16)} | ${s.curve.map(([, e]) => e.toFixed(2).padStart(8)).join(' | ')} | ${s.seconds.toFixed(0).padStart(8)}`,
  );

console.log('\naveraging rounds (per trainer; seconds include waiting for the other trainer):');
console.log(
  'H    | rounds | both members | s per round (median, rank 0 / rank 1) | MB sent per round (r0 / r1) | MB received per round (r0 / r1) | last checkpoints',
);
for (const s of settings.filter((s) => s.rounds.length === 2)) {
  const [r0, r1] = s.rounds;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const both = r0.filter((r) => r.members?.length === 2).length;
  const mb = (rs: RecordLine[], key: 'bytes_sent' | 'bytes_received') =>
    (mean(rs.map((r) => r[key]!)) / 1e6).toFixed(2);
  console.log(
    `${s.name.replace('N = 2, H = ', '').padEnd(4)} | ${String(r0.length).padStart(6)} | ${String(both).padStart(12)} | ${median(r0.map((r) => r.seconds!)).toFixed(3)} / ${median(r1.map((r) => r.seconds!)).toFixed(3)}`.padEnd(
      80,
    ) +
      ` | ${mb(r0, 'bytes_sent')} / ${mb(r1, 'bytes_sent')} | ${mb(r0, 'bytes_received')} / ${mb(r1, 'bytes_received')} | ${s.identical ? 'bit-identical' : 'DIFFERENT'}`,
  );
}

if (dead !== null) {
  const healthy = settings.find((s) => s.name === 'N = 2, H = 100')!;
  const [r0] = dead.rounds;
  const regular = r0.filter((r) => !r.final);
  const before = regular.filter((r) => Date.parse(r.time) < dead!.killedAt);
  const after = regular.filter((r) => Date.parse(r.time) >= dead!.killedAt);
  const s = (rs: RecordLine[]) => rs.map((r) => r.seconds!);
  const row = (name: string, rs: RecordLine[], wall: string) =>
    console.log(
      `${name.padEnd(34)} | ${String(rs.length).padStart(6)} | ${median(s(rs)).toFixed(3).padStart(8)} | ${Math.max(
        ...s(rs),
      )
        .toFixed(3)
        .padStart(7)} | ${s(rs)
        .reduce((a, b) => a + b, 0)
        .toFixed(1)
        .padStart(10)} | ${wall}`,
    );
  console.log("\nrank 0's averaging rounds, H = 100 (deadline 1 s, heartbeat 1 s: a rank silent for 3 s is gone):");
  console.log('setting                            | rounds | median s |   max s | s in rounds | wall (s)');
  row(
    'healthy pair',
    healthy.rounds[0].filter((r) => !r.final),
    healthy.seconds.toFixed(0),
  );
  row('rank 1 killed: rounds before', before, '');
  row('rank 1 killed: rounds after', after, dead.seconds.toFixed(0));
  const final = r0.find((r) => r.final);
  console.log(
    `after the kill: members ${JSON.stringify([...new Set(after.map((r) => JSON.stringify(r.members)))])}; final round members ${JSON.stringify(final?.members)}`,
  );
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
