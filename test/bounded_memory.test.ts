// Memory bounded by what has arrived, never by what a flag, a header or a checkpoint claims (issue 22, items 3 and
// 4): the shuffle window's storage grows with the rows (doubling, up to the window) and shuffles exactly as a window
// allocated whole did; past its byte limit it is refused naming --shuffle-window; a model whose rows are too wide for
// its kernels is refused from its architecture alone, naming the layer, D and the 65535-workgroup limit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ShuffleWindow } from '../src/stream/shuffle_window.ts';
import { Batcher } from '../src/stream/minibatch.ts';
import type { RowBlock } from '../src/data/row_block.ts';
import { philoxUniforms } from '../src/random/philox.ts';
import { RANDOM_STREAMS } from '../src/random/streams.ts';
import { kernelLimitProblem, MAX_LAYER_OUTPUTS } from '../src/model/kernel_limits.ts';
import { DEFAULT_TRAIN_CONFIG, validateTrainConfig, architectureOf } from '../src/train/train_config.ts';

/** Rows first..first+rows−1 of D bytes, each row's bytes its number mod 256 (its first value names it). */
function block(first: number, rows: number, D = 2): RowBlock {
  const values = new Uint8Array(rows * D);
  for (let r = 0; r < rows; r++) values.fill((first + r) % 256, r * D, (r + 1) * D);
  return { values, rows, D, scale: 1 / 255, ids: Float64Array.from({ length: rows }, (_, r) => first + r) };
}

/** The row numbers in the order the window lets them out, batch by batch. */
function order(window: ShuffleWindow, blocks: RowBlock[], B = 5): number[] {
  const batcher = new Batcher(B);
  const out: number[] = [];
  const take = (batch: { rowIds?: Float64Array }) => out.push(...Array.from(batch.rowIds!));
  for (const b of blocks) for (const batch of window.push(b, batcher)) take(batch);
  for (const batch of window.drain(batcher)) take(batch);
  const rest = batcher.rest();
  if (rest !== null) take(rest);
  return out;
}

/** The shuffle as a window allocated whole computes it (the reference the growing one must match draw for draw). */
function wholeWindowOrder(total: number, windowRows: number, seed: number, epoch: number): number[] {
  let draws: Float64Array = new Float64Array(0);
  let used = 0;
  let refill = 0;
  const uniform = () => {
    if (used === draws.length) {
      draws = philoxUniforms(seed, epoch * 2 ** 20 + refill++, RANDOM_STREAMS.shuffleWindow, 4096);
      used = 0;
    }
    return draws[used++];
  };
  const window: number[] = [];
  const out: number[] = [];
  for (let row = 0; row < total; row++) {
    if (window.length < windowRows) {
      window.push(row);
      continue;
    }
    const j = Math.floor(uniform() * windowRows);
    out.push(window[j]);
    window[j] = row;
  }
  for (let i = window.length - 1; i >= 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    out.push(window[j]);
    window[j] = window[i];
  }
  return out;
}

test('the window grows with the rows: a window of 2^53 − 1 rows (a checkpoint may say so) holds what has arrived, not what it could', () => {
  const window = new ShuffleWindow(2 ** 53 - 1, 3, 0);
  const blocks = Array.from({ length: 10 }, (_, i) => block(i * 100, 100, 8));
  const batcher = new Batcher(10);
  for (const b of blocks.slice(0, 3))
    for (const _ of window.push(b, batcher)) assert.unreachable('nothing leaves a window that is not full');
  assert.ok(window.storageBytes <= 2 * 300 * 8, `${window.storageBytes} bytes for 300 rows of 8 bytes`);
  const all = order(window, blocks.slice(3), 10);
  assert.equal(
    [...all].sort((a, b) => a - b),
    Array.from({ length: 1000 }, (_, i) => i),
    'every row leaves once, the 300 residents included',
  );
});

test('growing by doubling shuffles exactly as a window allocated whole (every window size, every block size)', () => {
  for (const [windowRows, blockRows, total] of [
    [40, 7, 300],
    [40, 100, 300],
    [1, 3, 20],
    [256, 1, 1000],
    [1000, 33, 700],
    [17, 17, 17],
  ]) {
    const blocks: RowBlock[] = [];
    for (let first = 0; first < total; first += blockRows)
      blocks.push(block(first, Math.min(blockRows, total - first)));
    assert.equal(
      order(new ShuffleWindow(windowRows, 11, 2), blocks),
      wholeWindowOrder(total, windowRows, 11, 2),
      `window ${windowRows}, blocks of ${blockRows}`,
    );
  }
});

test('a window that would pass its byte limit is refused naming --shuffle-window and the most rows that fit', () => {
  const window = new ShuffleWindow(1000, 1, 0, 1000);
  const batcher = new Batcher(10);
  assert.throws(
    () => {
      for (const _ of window.push(block(0, 200, 10), batcher)) {
        /* fills */
      }
    },
    (e: Error) =>
      e.message.includes(
        'the shuffle window of 1000 rows would need 2000 bytes to hold 200 rows of 10 bytes, over the limit of 1000 bytes',
      ) && e.message.includes('--shuffle-window 100 or less'),
  );
});

test('rows too wide for the kernels are found from the architecture: decoder.out, D and the 65535-workgroup limit', () => {
  const arch = (D: number, likelihood: 'bernoulli' | 'gaussian' = 'bernoulli') =>
    architectureOf({ ...DEFAULT_TRAIN_CONFIG, D, likelihood });
  assert.is(kernelLimitProblem(arch(784)), null);
  assert.is(kernelLimitProblem(arch(MAX_LAYER_OUTPUTS)), null);
  const wide = kernelLimitProblem(arch(2 ** 24))!;
  assert.match(
    wide,
    `decoder.out would have ${2 ** 24} outputs, more than the ${MAX_LAYER_OUTPUTS} that one column_sum dispatch can sum (65535 workgroups`,
  );
  assert.match(wide, `the model takes rows of at most ${MAX_LAYER_OUTPUTS} values`);
  assert.match(
    kernelLimitProblem(arch(MAX_LAYER_OUTPUTS, 'gaussian'))!,
    `at most ${Math.floor(MAX_LAYER_OUTPUTS / 2)} values`,
  );
  assert.throws(
    () => validateTrainConfig({ ...DEFAULT_TRAIN_CONFIG, D: 2 ** 24 }),
    /a model of D = 16777216 cannot be trained: decoder.out/,
  );
});

test.run();
