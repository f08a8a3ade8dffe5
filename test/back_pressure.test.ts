// The join of the data pipeline to the GPU (src/stream/streamed_training.ts) without a GPU: a stand-in trainer
// with R upload slots and a slow "GPU" shows that a source far faster than the consumer is paused — rows read
// never run ahead of rows trained by more than the shuffle window, one source block and the R slots — and that
// a resumed stream yields exactly the minibatches the uninterrupted one would have.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, lastValueFrom, take, tap, toArray } from 'rxjs';
import { syntheticSource } from '../src/data/synthetic_source.ts';
import type { RowSource } from '../src/data/row_source.ts';
import { Demand } from '../src/stream/demand.ts';
import { streamedTraining, trainOnGpu, type StepSink } from '../src/stream/streamed_training.ts';
import { trainingStream } from '../src/stream/training_stream.ts';
import { STREAM_START } from '../src/stream/positioned_batch.ts';

/** A stand-in for Trainer: R slots, each step occupies one for `stepMs`. */
class SlowGpu implements StepSink {
  steps = 0;
  private busy = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly slots: number, private readonly stepMs: number) {}
  async enqueueStep(): Promise<number> {
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
}

/** Counts the rows a source hands out. */
function counted(source: RowSource): RowSource & { rowsRead: number } {
  const wrapper = {
    name: source.name,
    rowsRead: 0,
    async *open() {
      for await (const block of source.open()) {
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
  const gpu = new SlowGpu(slots, 3);
  const stats = await lastValueFrom(streamedTraining(gpu, { source, B, seed: 1, shuffleWindowRows: window, binarize: true, epochs: 1, start: STREAM_START }).pipe(take(60)));
  const lead = source.rowsRead - gpu.steps * B;
  assert.is(gpu.steps, 60);
  assert.ok(lead <= window + blockRows + (slots + 1) * B, `read ${source.rowsRead} rows for ${gpu.steps * B} trained: ${lead} ahead`);
  assert.ok(stats.elapsedMs > 0);
  assert.ok(stats.waitingForDataMs < stats.elapsedMs, 'a fast source leaves the consumer waiting for data only part of the time');
});

test('the lead stays bounded at every step, not just at the end', async () => {
  const B = 8;
  const source = counted(syntheticSource({ D: 3, rows: Infinity, seed: 4, blockRows: 32 }));
  const gpu = new SlowGpu(3, 2);
  const leads: number[] = [];
  const stream = streamedTraining(gpu, { source, B, seed: 4, shuffleWindowRows: 20, binarize: false, epochs: 1, start: STREAM_START });
  await new Promise<void>((resolve, reject) => {
    stream.pipe(take(80)).subscribe({
      next: () => leads.push(source.rowsRead - gpu.steps * B),
      error: reject,
      complete: resolve,
    });
  });
  const bound = 20 + 32 + 4 * B;
  assert.ok(Math.max(...leads) <= bound, `largest lead ${Math.max(...leads)} > ${bound}`);
});

test('minibatches waiting for the GPU stay bounded across epoch ends, where the shuffle window empties', async () => {
  const B = 5;
  const source = syntheticSource({ D: 3, rows: 100, seed: 6, blockRows: 10 });
  const gpu = new SlowGpu(2, 2);
  const demand = new Demand();
  let produced = 0;
  let worst = 0;
  // The two ends joined by hand (as streamedTraining does), to count what reaches the sink's queue.
  const stream = trainingStream({ source, B, seed: 6, shuffleWindowRows: 60, binarize: false, epochs: 4, start: STREAM_START }, demand);
  await new Promise<void>((resolve, reject) => {
    stream.pipe(tap(() => { produced++; worst = Math.max(worst, produced - gpu.steps); }), trainOnGpu(gpu, demand)).subscribe({ error: reject, complete: resolve });
  });
  assert.is(gpu.steps, 80);
  // A window of 60 rows emptied in one go would put 12 minibatches in line at once.
  assert.ok(worst <= 4, `up to ${worst} minibatches were waiting for the GPU`);
});

test('a stream resumed at (epoch 1, batch 3) yields the same minibatches as the uninterrupted stream', async () => {
  const source = syntheticSource({ D: 6, rows: 95, seed: 8, blockRows: 13 }); // 9 batches of 10 per epoch, 5 rows dropped
  const options = { source, B: 10, seed: 8, shuffleWindowRows: 40, binarize: true, epochs: 3 };
  const straight = await firstValueFrom(trainingStream({ ...options, start: STREAM_START }).pipe(toArray()));
  assert.is(straight.length, 27);
  const resumed = await firstValueFrom(trainingStream({ ...options, start: { epoch: 1, index: 3, step: 13 } }).pipe(toArray()));
  assert.equal(resumed.map((b) => [b.epoch, b.index, b.step]), straight.slice(12).map((b) => [b.epoch, b.index, b.step]));
  assert.equal(resumed.map((b) => Array.from(b.data)), straight.slice(12).map((b) => Array.from(b.data)));
  assert.not.equal(Array.from(straight[0].data), Array.from(straight[9].data), 'epochs are shuffled differently');
});

test('an error in the source reaches the subscriber and stops the run', async () => {
  const failing: RowSource = { name: 'failing', async *open() { yield { values: new Uint8Array(20), rows: 10, D: 2, scale: 1 }; throw new Error('failing: at byte 40: truncated'); } };
  const gpu = new SlowGpu(2, 1);
  let message = '';
  await new Promise<void>((resolve) => {
    streamedTraining(gpu, { source: failing, B: 5, seed: 1, shuffleWindowRows: 1, binarize: false, epochs: 1, start: STREAM_START }).subscribe({ error: (e) => { message = e.message; resolve(); }, complete: resolve });
  });
  assert.match(message, 'failing: at byte 40: truncated');
});

test.run();
