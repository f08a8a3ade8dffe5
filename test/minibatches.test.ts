// src/data/minibatches.ts: epochs are permutations, batches are reproducible from (seed, epoch, index, step),
// so a run resumed at any step sees the batches the uninterrupted run would have; binarization is Bernoulli
// with the grey level as probability.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { binarizeOnce, epochPermutation, trainingBatches } from '../src/data/minibatches.ts';
import type { Dataset } from '../src/data/dataset.ts';

const data: Dataset = { source: 'synthetic', rows: 23, D: 5, values: Uint8Array.from({ length: 115 }, (_, i) => (i * 37) % 256), scale: 1 / 255 };

function take(gen: Iterable<{ batch: Float32Array }>, n: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (const { batch } of gen) {
    out.push(batch.slice());
    if (out.length === n) break;
  }
  return out;
}

test('an epoch is a permutation, different for each epoch and seed, the same for the same ones', () => {
  const p = epochPermutation(1000, 7, 0);
  assert.equal([...p].sort((a, b) => a - b), [...Array(1000).keys()]);
  assert.equal(Array.from(epochPermutation(1000, 7, 0)), Array.from(p));
  assert.not.equal(Array.from(epochPermutation(1000, 7, 1)), Array.from(p));
  assert.not.equal(Array.from(epochPermutation(1000, 8, 0)), Array.from(p));
});

test('a run resumed at step k sees exactly the batches of the uninterrupted run', () => {
  const B = 4; // 5 batches per epoch, the 3 leftover rows dropped
  const straight = take(trainingBatches(data, B, 11, { epoch: 0, index: 0, step: 1 }), 12);
  const resumed = take(trainingBatches(data, B, 11, { epoch: 1, index: 2, step: 8 }), 5);
  assert.equal(resumed.map((b) => Array.from(b)), straight.slice(7).map((b) => Array.from(b)));
});

test('dynamic binarization: 0/1 values, fresh each step, with mean ≈ grey level', () => {
  const grey: Dataset = { source: 'grey', rows: 1, D: 20000, values: new Uint8Array(20000).fill(64), scale: 1 / 255 };
  const [a, b] = take(trainingBatches(grey, 1, 5, { epoch: 0, index: 0, step: 1 }), 2);
  assert.ok(a.every((v) => v === 0 || v === 1));
  assert.not.equal(Array.from(a), Array.from(b));
  const p = 64 / 255;
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean - p) < 4 * Math.sqrt((p * (1 - p)) / a.length), `mean ${mean} vs ${p}`);
});

test('a test set binarized once is the same for the same seed', () => {
  assert.equal(Array.from(binarizeOnce(data, 12345)), Array.from(binarizeOnce(data, 12345)));
  assert.not.equal(Array.from(binarizeOnce(data, 12345)), Array.from(binarizeOnce(data, 1)));
});

test('too few rows for one batch is an error naming the source', () => {
  assert.throws(() => take(trainingBatches(data, 24, 1, { epoch: 0, index: 0, step: 1 }), 1), /synthetic: 23 rows cannot fill one minibatch of B = 24/);
});

test.run();
