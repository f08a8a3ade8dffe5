// What `aevb train` says and logs about a run (src/cli/train_report.node.ts), without a GPU: the closing line names
// the step the last checkpoint holds (a stop can come after a step was queued past it: the red team saw
// "checkpoint at step 851" for a file holding 850), and the metrics log is opened before the run trains.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrainReport, METRICS_FILE, epochSteps } from '../src/cli/train_report.node.ts';
import type { RunPlan } from '../src/run/run_state.ts';
import type { TrainingEvent } from '../src/run/training_events.ts';

const PLAN: RunPlan = {
  epochs: 1,
  steps: null,
  checkpointEvery: 50,
  shuffleWindow: 10,
  binarize: true,
  data: null,
  earlyStopping: null,
};

test("the closing line gives the step of the last checkpoint written, not the trainer's step", () => {
  const out = mkdtempSync(join(tmpdir(), 'aevb-report-'));
  try {
    const report = new TrainReport(out, PLAN, null, null, () => {});
    const events = [
      { type: 'checkpoint', step: 850, location: join(out, 'checkpoint.safetensors'), best: false },
      { type: 'checkpoint', step: 851, location: join(out, 'best', 'checkpoint.safetensors'), best: true },
      { type: 'stopped', step: 851 },
    ] as TrainingEvent[];
    for (const e of events) report.show(e);
    const line = report.closingLine(true, 851);
    report.close();
    assert.is(
      line,
      `interrupted; checkpoint at step 850: ${join(out, 'checkpoint.safetensors')}  (continue with: aevb train --resume ${out})`,
    );
    const logged = readFileSync(join(out, METRICS_FILE), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(
      logged.filter((r) => r.type === 'checkpoint' && !r.best).map((r) => r.step),
      [850],
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a metrics.jsonl planted as a link stops the report before the run trains; a torn one is mended with a warning', async () => {
  const root = mkdtempSync(join(tmpdir(), 'aevb-report-'));
  try {
    writeFileSync(join(root, 'victim'), 'x\n');
    symlinkSync('../victim', join(root, METRICS_FILE));
    assert.throws(
      () => new TrainReport(root, PLAN, null, null),
      (e: Error) => e.message.includes(join(root, METRICS_FILE)) && e.message.includes('ELOOP'),
    );
    assert.is(readFileSync(join(root, 'victim'), 'utf8'), 'x\n');
    rmSync(join(root, METRICS_FILE));
    const records = [
      '{"type":"train","step":1,"samples":10,"elbo":-5}',
      '{"type":"train","step":2,"samples":20,"elbo":-4}',
    ];
    writeFileSync(join(root, METRICS_FILE), `${records.join('\n')}\n{"type":"test","ep`);
    const warnings: string[] = [];
    const report = new TrainReport(root, PLAN, null, null, (m) => warnings.push(m));
    report.log({ type: 'train', step: 3, samples: 30, elbo: -3 });
    const curves = await report.writeCurves('a title');
    report.close();
    assert.is(curves, join(root, 'curves.png'));
    assert.is(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], `${join(root, METRICS_FILE)}, line 3: the last line is torn`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("each epoch's bar counts that epoch's steps: its length, or what the step budget leaves of it", () => {
  const at = (step: number, epoch: number, index: number) =>
    ({ type: 'step', step, epoch, index, samplesPerSecond: 1, waitingForDataPercent: 0 }) as const;
  // Epoch 2 of 20-step epochs, 5 steps in: a bar of 20 (it was 25 of 40, counted from the run's start).
  assert.is(epochSteps(PLAN, 20, at(25, 1, 4)), 20);
  // The first pass over data of unknown length: no total, unless a step budget bounds it.
  assert.is(epochSteps(PLAN, null, at(3, 0, 2)), null);
  assert.is(epochSteps({ ...PLAN, epochs: null, steps: 30 }, null, at(3, 0, 2)), 30);
  // A budget of 30 over 20-step epochs: the second epoch's bar is 10 long.
  assert.is(epochSteps({ ...PLAN, epochs: null, steps: 30 }, 20, at(21, 1, 0)), 10);
  // A run resumed mid-epoch counts the same.
  assert.is(epochSteps({ ...PLAN, epochs: null, steps: 30 }, 20, at(26, 1, 5)), 10);
});

test.run();
