// The data side of src/stream/, without a GPU: minibatches cut across blocks, the shuffle window's order,
// bounds and reproducibility, binarization keyed by (seed, step), row numbers travelling with their rows, and
// a pass pulled only as far as it is read. (Pulled generators, not RxJS operators: the run loop asks for each
// minibatch, so the tests iterate them as the loop does.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Batcher, type Minibatch } from '../src/stream/minibatch.ts';
import { ShuffleWindow } from '../src/stream/shuffle_window.ts';
import { StepInput } from '../src/stream/step_input.ts';
import { epochBatches } from '../src/stream/epoch_batches.ts';
import type { RowBlock } from '../src/data/row_block.ts';
import type { RowSource } from '../src/data/row_source.ts';

/** A block of `rows` rows of D = 2 bytes whose values are the row ids (id, id), ids from `first`. */
function block(first: number, rows: number): RowBlock {
  const values = new Uint8Array(rows * 2);
  for (let r = 0; r < rows; r++) values.set([first + r, first + r], r * 2);
  return { values, rows, D: 2, scale: 1 };
}

/** The row ids of a batch or block made by block(). */
const ids = (values: ArrayLike<number>) => Array.from(values).filter((_, i) => i % 2 === 0);

/** Every block through a fresh window into minibatches of 1 row, then its drain: the row ids in the order they left. */
function shuffled(blocks: RowBlock[], window: ShuffleWindow): number[] {
  const batcher = new Batcher(1);
  const out: number[] = [];
  for (const b of blocks) for (const o of window.push(b, batcher)) out.push(...ids(o.data));
  for (const o of window.drain(batcher)) out.push(...ids(o.data));
  return out;
}

test('Batcher: rows regrouped into batches of B across blocks; the partial batch is left for rest()', () => {
  const batcher = new Batcher(4);
  const batches: Minibatch[] = [];
  for (const b of [block(0, 3), block(3, 2), block(5, 4)]) batches.push(...batcher.push(b));
  assert.equal(
    batches.map((b) => ids(b.data)),
    [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ],
  );
  assert.equal(ids(batcher.rest()!.data), [8]);
  assert.is(batcher.rest(), null, 'rest() hands the partial batch over once');
});

test('Batcher: bytes stay bytes, with their scale; StepInput scales them into [0, 1]; a change of row length mid-batch is refused', () => {
  const batcher = new Batcher(1);
  const bytes: RowBlock = { values: Uint8Array.from([0, 255, 51, 102]), rows: 2, D: 2, scale: 1 / 255 };
  const batches = [...batcher.push(bytes)];
  assert.ok(batches.every((b) => b.data instanceof Uint8Array && b.scale === 1 / 255));
  const values = new StepInput('values', 1);
  assert.equal(
    batches.map((b) => Array.from(values.prepare(b, 1)).map((v) => Math.round(v * 100) / 100)),
    [
      [0, 1],
      [0.2, 0.4],
    ],
  );
  // Scaling a byte gives exactly the float32 of k·(1/255), as the GPU's table and every earlier run have it.
  const all = Uint8Array.from({ length: 256 }, (_, k) => k);
  assert.equal(
    Array.from(values.prepare({ data: all, D: 256, scale: 1 / 255 }, 1)),
    Array.from(all, (k) => Math.fround(k * (1 / 255))),
  );
  const three = new Batcher(3);
  [...three.push(block(0, 1))];
  assert.throws(
    () => [...three.push({ values: new Uint8Array(3), rows: 1, D: 3, scale: 1 })],
    /rows changed from 2 to 3 values \(or their type\) mid-batch/,
  );
});

test('ShuffleWindow of 1 row keeps the order: each arriving row pushes out the one before it', () => {
  assert.equal(shuffled([block(0, 2), block(2, 1)], new ShuffleWindow(1, 7, 0)), [0, 1, 2]);
});

test('ShuffleWindow emits every row exactly once, holds at most the window, and is reproducible', () => {
  const input = Array.from({ length: 10 }, (_, i) => block(i * 25, 25));
  const run = (seed: number, epoch: number) => shuffled(input, new ShuffleWindow(40, seed, epoch));
  const out = run(3, 0);
  assert.equal(
    [...out].sort((a, b) => a - b),
    [...Array(250).keys()],
  );
  assert.not.equal(out, [...Array(250).keys()], 'the order changed');
  assert.equal(run(3, 0), out, 'same seed and epoch: same order');
  assert.not.equal(run(3, 1), out, 'another epoch: another order');
  // A 40-row window: the first row out is one of the first 41 rows in.
  assert.ok(out[0] <= 40);
});

test('ShuffleWindow: nothing leaves before the window is full; its drain is pulled a minibatch at a time', () => {
  const window = new ShuffleWindow(100, 1, 0);
  const batcher = new Batcher(2);
  for (const b of [block(0, 30), block(30, 30)])
    assert.equal([...window.push(b, batcher)], [], 'the window is filling');
  const drain = window.drain(batcher);
  const first = drain.next();
  assert.is(first.done, false);
  assert.is(first.value!.data.length, 4, 'one minibatch of 2 rows');
  assert.is([...drain].length, 29, 'and the other 58 rows when asked for');
});

test('binarize: 0/1 values, a function of (seed, step) only; dequantize and binarize together are refused', () => {
  const input = StepInput.of({ binarize: true, dequantize: false }, 9);
  const batch = (step: number) =>
    input.prepare({ data: new Float32Array(1000).fill(0.5), D: 1000, scale: 1 }, step).slice();
  const [a, b, a2] = [batch(1), batch(2), batch(1)];
  assert.ok(a.every((v) => v === 0 || v === 1));
  assert.equal(Array.from(a), Array.from(a2));
  assert.not.equal(Array.from(a), Array.from(b));
  const ones = a.reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(ones - 500) < 4 * Math.sqrt(250), `${ones} ones of 1000 at p = 0.5`);
  assert.equal(
    Array.from(
      StepInput.of({ binarize: true, dequantize: false }, 9).prepare(
        { data: Float32Array.from([0.5, NaN]), D: 2, scale: 1 },
        1,
      ),
    ).map(String),
    ['0.5', 'NaN'],
    'a non-finite batch is left for the trainer to refuse',
  );
  assert.throws(() => StepInput.of({ binarize: true, dequantize: true }, 1), /cannot follow binarization/);
});

test('row numbers travel with their rows through the shuffle window and into the minibatches', () => {
  const numbered = (first: number, rows: number): RowBlock => ({
    ...block(first, rows),
    ids: Float64Array.from({ length: rows }, (_, r) => first + r),
  });
  const window = new ShuffleWindow(6, 3, 0);
  const batcher = new Batcher(4);
  const batches: Minibatch[] = [];
  for (const b of [numbered(0, 7), numbered(7, 9), numbered(16, 4)]) batches.push(...window.push(b, batcher));
  batches.push(...window.drain(batcher));
  const seen = batches.flatMap((b) => Array.from(b.rowIds!));
  assert.equal(
    batches.map((b) => Array.from(b.rowIds!)),
    batches.map((b) => ids(b.data)),
    'each row keeps its number',
  );
  assert.equal(
    [...seen].sort((a, b) => a - b),
    Array.from({ length: 20 }, (_, i) => i),
  );
  assert.not.equal(
    seen,
    [...seen].sort((a, b) => a - b),
    'shuffled',
  );
});

test('epochBatches reads the source only as far as the minibatches pulled need, and passes errors on', async () => {
  let blocksRead = 0;
  const source: RowSource = {
    name: 'counted',
    async *open() {
      for (let i = 0; ; i++) {
        blocksRead++;
        yield block(i * 4, 4);
      }
    },
  };
  const pass = epochBatches({ source, B: 2, seed: 1, shuffleWindowRows: 1 }, 0)[Symbol.asyncIterator]();
  for (let i = 0; i < 5; i++) await pass.next();
  assert.ok(blocksRead <= 3, `5 minibatches of 2 rows pulled ${blocksRead} blocks of 4`);
  await pass.return(undefined);
  const failing: RowSource = {
    name: 'failing',
    async *open() {
      yield block(0, 2);
      throw new Error('shard 2 is corrupt');
    },
  };
  let message = '';
  try {
    for await (const _ of epochBatches({ source: failing, B: 1, seed: 1, shuffleWindowRows: 1 }, 0));
  } catch (error) {
    message = (error as Error).message;
  }
  assert.is(message, 'shard 2 is corrupt');
});

test.run();
