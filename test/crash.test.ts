// `aevb train` interrupted again and again — SIGKILL at seeded random steps, inside checkpoint writes (half the
// temporary file written; before the previous checkpoint is kept; before and after the rename) and around epoch
// boundaries, plus one SIGINT (exit 130) and one SIGTERM (exit 143) — and resumed each time with `--resume DIR`
// alone until it finishes. Every interruption leaves a readable newest checkpoint, loses at most one checkpoint
// interval of steps (none after a signal), and the final parameters and optimizer state are bit-identical to
// those of an uninterrupted run started alongside. Moments inside a write come from
// test/fixtures/checkpoint_pause.mjs, preloaded into the child; the others from polling its metrics.jsonl.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededUniform } from './seeded_random.ts';
import { readCheckpoint } from '../src/io/checkpoint.node.ts';
import { METRICS_FILE } from '../src/cli/train_report.node.ts';

const bin = fileURLToPath(new URL('../bin/aevb.js', import.meta.url));
const pauseHook = new URL('./fixtures/checkpoint_pause.mjs', import.meta.url).href;
const INTERVAL = 7;
const STEPS_PER_EPOCH = 100; // 2000 rows / 20
const STEPS = 3 * STEPS_PER_EPOCH;
const RUN = [
  '--data',
  'synthetic:2000x16',
  '--hidden',
  '8',
  '--latent',
  '2',
  '--batch',
  '20',
  '--epochs',
  '3',
  '--checkpoint-every',
  String(INTERVAL),
];
/** Any one attempt that runs longer than this counts as a hang. */
const ATTEMPT_TIMEOUT_MS = 90_000;

type Moment =
  | { kind: 'kill'; step: number } // SIGKILL once metrics.jsonl shows this step trained
  | { kind: 'pause'; stage: 'write' | 'previous' | 'rename' | 'after'; step: number } // SIGKILL inside that checkpoint's write
  | { kind: 'signal'; signal: 'SIGINT' | 'SIGTERM'; step: number }; // the signal once this step is trained

interface Ended {
  /** The attempt ran past ATTEMPT_TIMEOUT_MS and was killed for it. */
  hung: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function launch(
  args: string[],
  env: Record<string, string> = {},
  preload: string[] = [],
): { child: ChildProcess; ended: Promise<Ended> } {
  const child = spawn(process.execPath, [...preload, bin, 'train', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  let hung = false;
  const ended = new Promise<Ended>((resolve) =>
    child.on('close', (code, signal) => resolve({ hung, code, signal, stdout, stderr })),
  );
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, ATTEMPT_TIMEOUT_MS);
  void ended.then(() => clearTimeout(timer));
  return { child, ended };
}

/** Follows metrics.jsonl from its current end: the highest step of the 'train' records appended since. */
class MetricsTail {
  private offset: number;
  private partial = '';
  highest = 0;
  constructor(private readonly path: string) {
    this.offset = existsSync(path) ? statSync(path).size : 0;
  }
  poll(): number {
    if (!existsSync(this.path)) return this.highest;
    const size = statSync(this.path).size;
    if (size > this.offset) {
      const buffer = Buffer.alloc(size - this.offset);
      const fd = openSync(this.path, 'r');
      try {
        readSync(fd, buffer, 0, buffer.length, this.offset);
      } finally {
        closeSync(fd);
      }
      this.offset = size;
      const lines = (this.partial + buffer.toString('utf8')).split('\n');
      this.partial = lines.pop()!;
      for (const line of lines) {
        const record = JSON.parse(line) as { type: string; step?: number };
        if (record.type === 'train') this.highest = Math.max(this.highest, record.step!);
      }
    }
    return this.highest;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The first step after `after` at which the run writes a checkpoint (the cadence, or an epoch's end). */
function nextCheckpoint(after: number): number {
  for (let s = Math.floor(after) + 1; ; s++) if (s % INTERVAL === 0 || s % STEPS_PER_EPOCH === 0) return s;
}

test('SIGKILL at 10 seeded moments, SIGINT and SIGTERM: every resume continues bit-identically, losing at most one interval', async () => {
  const root = mkdtempSync(join(tmpdir(), 'aevb-crash-'));
  try {
    const reference = launch([...RUN, '--out', join(root, 'straight')]);
    const out = join(root, 'interrupted');
    const random = seededUniform(1312, 64);
    let r = 0;
    const uniform = (lo: number, hi: number) => Math.floor(lo + (hi - lo) * random[r++]);
    // Targets are drawn relative to the step c the run would resume from; the fixed ones sit on epoch boundaries.
    const schedule: Array<(c: number) => Moment> = [
      () => ({ kind: 'kill', step: uniform(9, 30) }),
      (c) => ({ kind: 'pause', stage: 'write', step: nextCheckpoint(c + uniform(0, 20)) }),
      (c) => ({ kind: 'signal', signal: 'SIGINT', step: c + uniform(3, 18) }),
      () => ({ kind: 'pause', stage: 'rename', step: STEPS_PER_EPOCH }), // the epoch's last checkpoint never lands
      () => ({ kind: 'kill', step: STEPS_PER_EPOCH + 1 }), // just past the boundary: resumes at the next epoch's start
      (c) => ({ kind: 'pause', stage: 'previous', step: nextCheckpoint(c + uniform(0, 20)) }),
      (c) => ({ kind: 'signal', signal: 'SIGTERM', step: c + uniform(3, 18) }),
      (c) => ({ kind: 'pause', stage: 'after', step: nextCheckpoint(c + uniform(5, 20)) }),
      (c) => ({ kind: 'kill', step: c + uniform(3, 28) }),
      () => ({ kind: 'pause', stage: 'after', step: 2 * STEPS_PER_EPOCH }), // killed right after an epoch-end checkpoint
      (c) => ({ kind: 'pause', stage: 'write', step: nextCheckpoint(c + uniform(0, 20)) }),
      (c) => ({ kind: 'kill', step: c + uniform(3, 33) }),
    ];
    // What the closing table of issue 12 counts; `crashes` are attempts that ended on their own before their moment.
    const table = {
      runs: 0,
      kills: 0,
      signals: 0,
      crashes: 0,
      hangs: 0,
      tornCheckpoints: 0,
      lostSteps: 0,
      maxLostSteps: 0,
    };
    let c = 0; // the step of the newest checkpoint in `out`
    for (const [i, next] of schedule.entries()) {
      const moment = next(c);
      assert.ok(
        moment.step > c,
        `interruption ${i}: its moment (step ${moment.step}) lies after the checkpoint at step ${c}`,
      );
      const tail = new MetricsTail(join(out, METRICS_FILE));
      const marker = join(root, `paused-${i}`);
      const args = c === 0 ? [...RUN, '--out', out, '--metrics-every', '1'] : ['--resume', out, '--metrics-every', '1'];
      const attempt =
        moment.kind === 'pause'
          ? launch(args, { AEVB_TEST_PAUSE: `${moment.stage}@${moment.step}`, AEVB_TEST_PAUSE_MARKER: marker }, [
              '--import',
              pauseHook,
            ])
          : launch(args);
      table.runs++;
      let finished: Ended | null = null;
      void attempt.ended.then((e) => {
        finished = e;
      });
      // Wait for the moment, or for the attempt to end on its own (a failure, reported below).
      while (finished === null) {
        if (moment.kind === 'pause' ? existsSync(marker) : tail.poll() >= moment.step) break;
        await sleep(5);
      }
      if (finished !== null) {
        const e = finished as Ended;
        table[e.hung ? 'hangs' : 'crashes']++;
        assert.unreachable(
          `interruption ${i} (${JSON.stringify(moment)}): the attempt ${e.hung ? 'hung' : `ended by itself (${e.code ?? e.signal})`} before its moment; table ${JSON.stringify(table)}; stderr: ${e.stderr}`,
        );
      }
      const trainedBefore = moment.kind === 'pause' ? moment.step : tail.highest;
      if (moment.kind === 'signal') attempt.child.kill(moment.signal);
      else attempt.child.kill('SIGKILL');
      const ended = await attempt.ended;
      const trained = Math.max(trainedBefore, tail.poll());
      if (moment.kind === 'signal') {
        table.signals++;
        assert.is(
          ended.code,
          moment.signal === 'SIGINT' ? 130 : 143,
          `interruption ${i} (${moment.signal}): exit code; stderr: ${ended.stderr}`,
        );
        assert.match(ended.stdout, /interrupted; checkpoint at step (\d+)/);
      } else {
        table.kills++;
        assert.is(
          ended.signal,
          'SIGKILL',
          `interruption ${i} (${JSON.stringify(moment)}) was ended by the kill, not by itself: ${ended.stderr}`,
        );
      }
      let warned: string | null = null;
      const checkpoint = readCheckpoint(out, {
        warn: (m) => {
          warned = m;
        },
      });
      if (warned !== null) table.tornCheckpoints++;
      assert.is(warned, null, `interruption ${i}: the newest checkpoint is readable`);
      const lost = trained - checkpoint.snapshot.step;
      table.maxLostSteps = Math.max(table.maxLostSteps, lost);
      table.lostSteps += lost;
      assert.ok(
        checkpoint.snapshot.step >= c,
        `interruption ${i}: no checkpoint is lost (was ${c}, now ${checkpoint.snapshot.step})`,
      );
      assert.ok(
        lost >= 0 && lost <= (moment.kind === 'signal' ? 0 : INTERVAL),
        `interruption ${i} (${JSON.stringify(moment)}): trained ${trained}, checkpoint at ${checkpoint.snapshot.step}: lost ${lost} steps`,
      );
      c = checkpoint.snapshot.step;
    }
    const last = launch(['--resume', out]);
    table.runs++;
    const ended = await last.ended;
    if (ended.hung) table.hangs++;
    assert.is(ended.code, 0, ended.stderr);
    assert.match(ended.stdout, `checkpoint at step ${STEPS}:`);
    const straight = await reference.ended;
    assert.is(straight.code, 0, straight.stderr);
    const a = readCheckpoint(join(root, 'straight'));
    const b = readCheckpoint(out);
    assert.is(b.snapshot.step, STEPS);
    assert.equal(
      b.snapshot.tensors.map((t) => t.name),
      a.snapshot.tensors.map((t) => t.name),
    );
    for (const [k, t] of b.snapshot.tensors.entries()) {
      const expected = a.snapshot.tensors[k].data;
      assert.ok(
        Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(
          Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength),
        ),
        `'${t.name}' is bit-identical`,
      );
    }
    assert.equal(
      readdirSync(out).filter((name) => name.includes('.tmp-') || name === '.aevb.lock'),
      [],
      'no temporary file or lock is left',
    );
    console.log(`  crash table: ${JSON.stringify(table)}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
