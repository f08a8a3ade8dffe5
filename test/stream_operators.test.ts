// The RxJS operators of src/stream/, without a GPU: ordering, batching, completion and error propagation with
// TestScheduler marbles; epochs re-opening their source; binarization being reproducible.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { map, of, concat, firstValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { minibatch } from '../src/stream/minibatch.ts';
import { shuffleWindow } from '../src/stream/shuffle_window.ts';
import { epochs } from '../src/stream/epochs.ts';
import { binarize } from '../src/stream/binarize.ts';
import type { RowBlock } from '../src/data/row_block.ts';

const scheduler = () => new TestScheduler((actual, expected) => assert.equal(actual, expected));

/** A block of `rows` rows of D = 2 bytes whose values are the row ids (id, id), ids from `first`. */
function block(first: number, rows: number): RowBlock {
  const values = new Uint8Array(rows * 2);
  for (let r = 0; r < rows; r++) values.set([first + r, first + r], r * 2);
  return { values, rows, D: 2, scale: 1 };
}

/** The row ids of a batch or block made by block(). */
const ids = (values: ArrayLike<number>) => Array.from(values).filter((_, i) => i % 2 === 0);

test('minibatch: rows regrouped into batches of B across blocks, partial batch dropped or kept', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const rows = cold('a-b--c|', { a: block(0, 3), b: block(3, 2), c: block(5, 4) });
    expectObservable(rows.pipe(minibatch(4), map((b) => ids(b.data)))).toBe('--x--y|', { x: [0, 1, 2, 3], y: [4, 5, 6, 7] });
    expectObservable(rows.pipe(minibatch(4, { keepPartial: true }), map((b) => ids(b.data)))).toBe('--x--y(z|)', { x: [0, 1, 2, 3], y: [4, 5, 6, 7], z: [8] });
  });
});

test('minibatch: values are scaled into [0, 1] and an upstream error passes through', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const bytes: RowBlock = { values: Uint8Array.from([0, 255, 51, 102]), rows: 2, D: 2, scale: 1 / 255 };
    // A group "(xy)" spans 4 frames of the diagram, so the error comes at frame 4 on both sides.
    expectObservable(cold('a---#', { a: bytes }, new Error('disk')).pipe(minibatch(1), map((b) => Array.from(b.data).map((v) => Math.round(v * 100) / 100))))
      .toBe('(xy)#', { x: [0, 1], y: [0.2, 0.4] }, new Error('disk'));
  });
});

test('shuffleWindow of 1 row keeps the order; completion and errors pass through', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const rows = cold('a-b|', { a: block(0, 2), b: block(2, 1) });
    // A 1-row window: each arriving row pushes out the one before it; the last leaves on completion.
    expectObservable(rows.pipe(shuffleWindow(1, 7, 0), map((b) => ids(b.values)))).toBe('a-b(c|)', { a: [0], b: [1], c: [2] });
    expectObservable(cold('a-#', { a: block(0, 2) }, new Error('bad file')).pipe(shuffleWindow(4, 7, 0))).toBe('--#', undefined, new Error('bad file'));
  });
});

test('shuffleWindow emits every row exactly once, holds at most the window, and is reproducible', async () => {
  const input = concat(...Array.from({ length: 10 }, (_, i) => of(block(i * 25, 25))));
  const run = (seed: number, epoch: number) => firstValueFrom(input.pipe(shuffleWindow(40, seed, epoch), map((b) => ids(b.values)), toArray()));
  const out = (await run(3, 0)).flat();
  assert.equal([...out].sort((a, b) => a - b), [...Array(250).keys()]);
  assert.not.equal(out, [...Array(250).keys()], 'the order changed');
  assert.equal((await run(3, 0)).flat(), out, 'same seed and epoch: same order');
  assert.not.equal((await run(3, 1)).flat(), out, 'another epoch: another order');
  // A 40-row window: the first row out is one of the first 41 rows in.
  assert.ok(out[0] <= 40);
});

test('epochs subscribes a fresh pass for each epoch, one after the other', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const passes = epochs(3, (e) => cold('a-|', { a: e }));
    expectObservable(passes).toBe('a-b-c-|', { a: 0, b: 1, c: 2 });
    expectObservable(epochs(2, (e) => cold('a-|', { a: e }), 5)).toBe('a-b-|', { a: 5, b: 6 });
  });
});

test('epochs stops at the first error', () => {
  scheduler().run(({ cold, expectObservable }) => {
    expectObservable(epochs(3, (e) => (e === 1 ? cold('#', undefined, new Error('shard 2 is corrupt')) : cold('a|', { a: e }))))
      .toBe('a#', { a: 0 }, new Error('shard 2 is corrupt'));
  });
});

test('binarize: 0/1 values, a function of (seed, step) only', async () => {
  const batch = (step: number) => ({ data: new Float32Array(1000).fill(0.5), epoch: 0, index: 0, step });
  const [a, b, a2] = await firstValueFrom(of(batch(1), batch(2), batch(1)).pipe(binarize(9), toArray()));
  assert.ok(a.data.every((v) => v === 0 || v === 1));
  assert.equal(Array.from(a.data), Array.from(a2.data));
  assert.not.equal(Array.from(a.data), Array.from(b.data));
  const ones = a.data.reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(ones - 500) < 4 * Math.sqrt(250), `${ones} ones of 1000 at p = 0.5`);
});

test('row numbers travel with their rows through the shuffle window and into the minibatches', async () => {
  const numbered = (first: number, rows: number): RowBlock => ({ ...block(first, rows), ids: Float64Array.from({ length: rows }, (_, r) => first + r) });
  const blocks = [numbered(0, 7), numbered(7, 9), numbered(16, 4)];
  const batches = await firstValueFrom(concat(...blocks.map((b) => of(b))).pipe(shuffleWindow(6, 3, 0, { outRows: 5 }), minibatch(4, { keepPartial: true }), toArray()));
  const seen = batches.flatMap((b) => Array.from(b.rowIds!));
  assert.equal(batches.map((b) => Array.from(b.rowIds!)), batches.map((b) => ids(b.data)), 'each row keeps its number');
  assert.equal([...seen].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  assert.not.equal(seen, [...seen].sort((a, b) => a - b), 'shuffled');
});

test.run();
