// The run loop's pull (src/run/run_loop.ts) without a GPU: a stand-in trainer with R upload slots and a slow
// "GPU" shows that a source far faster than the consumer is paused — rows read never run ahead of rows trained
// by more than the shuffle window, one source block and the R slots — and that a resumed pass yields exactly
// the minibatches the uninterrupted one would have.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lastValueFrom, toArray } from 'rxjs';
import { syntheticSource } from '../src/data/synthetic_source.ts';
import type { RowSource } from '../src/data/row_source.ts';
import { epochBatches } from '../src/stream/epoch_batches.ts';
import { StepInput } from '../src/stream/step_input.ts';
import { trainingRun, type TrainingRunOptions } from '../src/run/training_run.ts';
import type { RunTrainer } from '../src/run/run_hook.ts';
import type { RunStepEvent } from '../src/run/training_events.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/train/train_config.ts';

/** A stand-in for Trainer: R slots, each step occupies one for `stepMs`. */
class SlowGpu implements RunTrainer {
  steps = 0;
  metricsEvery = 0;
  readonly config;
  private busy = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(
    private readonly slots: number,
    private readonly stepMs: number,
    B: number,
    D: number,
  ) {
    this.config = { ...DEFAULT_TRAIN_CONFIG, D, batch: B };
  }
  get step(): number {
    return this.steps;
  }
  async enqueueMinibatch(): Promise<number> {
    while (this.busy >= this.slots) await new Promise<void>((r) => this.waiting.push(r));
    this.busy++;
    setTimeout(() => {
      this.busy--;
      this.waiting.shift()?.();
    }, this.stepMs);
    return ++this.steps;
  }
  async settle(): Promise<void> {
    while (this.busy > 0) await new Promise((r) => setTimeout(r, this.stepMs));
  }
  watchMetrics(): () => void {
    return () => {};
  }
  snapshot(): never {
    throw new Error('SlowGpu has no parameters');
  }
  evaluate(): never {
    throw new Error('SlowGpu has no model');
  }
}

/** The step events of a run of the stand-in trainer. */
const stepsOf = async (gpu: SlowGpu, options: TrainingRunOptions) =>
  (await lastValueFrom(trainingRun(gpu, options).pipe(toArray()))).filter((e): e is RunStepEvent => e.type === 'step');

/** Counts the rows a source hands out. */
function counted(source: RowSource): RowSource & { rowsRead: number } {
  const wrapper = {
    name: source.name,
    rowsRead: 0,
    async *open(epoch?: number) {
      for await (const block of source.open(epoch)) {
        wrapper.rowsRead += block.rows;
        yield block;
      }
    },
  };
  return wrapper;
}

test('an unbounded source is paused by a slow consumer: memory stays bounded', async () => {
  const B = 10;
  const window = 50;
  const blockRows = 16;
  const slots = 2;
  const source = counted(syntheticSource({ D: 4, rows: Infinity, seed: 1, blockRows }));
  const gpu = new SlowGpu(slots, 3, B, 4);
  const steps = await stepsOf(gpu, { source, steps: 60, shuffleWindow: window, binarize: true });
  const lead = source.rowsRead - gpu.steps * B;
  assert.is(gpu.steps, 60);
  assert.ok(
    lead <= window + blockRows + (slots + 1) * B,
    `read ${source.rowsRead} rows for ${gpu.steps * B} trained: ${lead} ahead`,
  );
  const last = steps.at(-1)!;
  assert.ok(last.samplesPerSecond > 0);
  assert.ok(
    last.waitingForDataPercent < 100,
    'a fast source leaves the consumer waiting for data only part of the time',
  );
});

test('the lead stays bounded at every step, not just at the end', async () => {
  const B = 8;
  const source = counted(syntheticSource({ D: 3, rows: Infinity, seed: 4, blockRows: 32 }));
  const gpu = new SlowGpu(3, 2, B, 3);
  const leads: number[] = [];
  await new Promise<void>((resolve, reject) => {
    trainingRun(gpu, { source, steps: 80, shuffleWindow: 20, binarize: false }).subscribe({
      next: (e) => {
        if (e.type === 'step') leads.push(source.rowsRead - gpu.steps * B);
      },
      error: reject,
      complete: resolve,
    });
  });
  const bound = 20 + 32 + 4 * B;
  assert.is(leads.length, 80);
  assert.ok(Math.max(...leads) <= bound, `largest lead ${Math.max(...leads)} > ${bound}`);
});

test('the rows read ahead stay bounded across epoch ends, where the shuffle window empties', async () => {
  const B = 5;
  const source = counted(syntheticSource({ D: 3, rows: 100, seed: 6, blockRows: 10 }));
  const gpu = new SlowGpu(2, 2, B, 3);
  let worst = 0;
  await new Promise<void>((resolve, reject) => {
    trainingRun(gpu, { source, epochs: 4, shuffleWindow: 60, binarize: false }).subscribe({
      next: (e) => {
        if (e.type === 'step') worst = Math.max(worst, source.rowsRead - gpu.steps * B);
      },
      error: reject,
      complete: resolve,
    });
  });
  assert.is(gpu.steps, 80);
  // A window of 60 rows emptied in one go would put 12 minibatches (60 rows) beyond the window in line at once;
  // pulled, the lead is at most the window, one block and a minibatch.
  assert.ok(worst <= 60 + 10 + B, `rows read ran ${worst} ahead of rows trained`);
});

test('a pass resumed at (epoch 1, batch 3) yields the same minibatches as the uninterrupted stream', async () => {
  const source = syntheticSource({ D: 6, rows: 95, seed: 8, blockRows: 13 }); // 9 batches of 10 per epoch, 5 rows dropped
  const options = { source, B: 10, seed: 8, shuffleWindowRows: 40 };
  const input = new StepInput('binarized', 8);
  /** Epochs `from` to 2, the first from its `skip`-th minibatch, as [epoch, index, step] and binarized data. */
  const run = async (from: number, skip: number, firstStep: number) => {
    const out: Array<{ at: number[]; data: number[] }> = [];
    let step = firstStep;
    for (let epoch = from; epoch < 3; epoch++) {
      let index = epoch === from ? skip : 0;
      for await (const b of epochBatches(options, epoch, epoch === from ? skip : 0))
        out.push({ at: [epoch, index++, step], data: Array.from(input.prepare(b, step++)) });
    }
    return out;
  };
  const straight = await run(0, 0, 1);
  assert.is(straight.length, 27);
  const resumed = await run(1, 3, 13);
  assert.equal(
    resumed.map((b) => b.at),
    straight.slice(12).map((b) => b.at),
  );
  assert.equal(
    resumed.map((b) => b.data),
    straight.slice(12).map((b) => b.data),
  );
  assert.not.equal(straight[0].data, straight[9].data, 'epochs are shuffled differently');
});

test('an error in the source reaches the subscriber and stops the run', async () => {
  const failing: RowSource = {
    name: 'failing',
    async *open() {
      yield { values: new Uint8Array(20), rows: 10, D: 2, scale: 1 };
      throw new Error('failing: at byte 40: truncated');
    },
  };
  const gpu = new SlowGpu(2, 1, 5, 2);
  let message = '';
  await new Promise<void>((resolve) => {
    trainingRun(gpu, { source: failing, shuffleWindow: 1, binarize: false }).subscribe({
      error: (e) => {
        message = e.message;
        resolve();
      },
      complete: resolve,
    });
  });
  assert.match(message, 'failing: at byte 40: truncated');
});

test.run();
