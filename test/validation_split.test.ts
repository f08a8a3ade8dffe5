// The validation split (src/data/validation_split.ts): training and validation rows are disjoint and together
// all rows in order; the held-out share is within binomial bounds of the fraction; the same rows are held out
// on every pass, by every fresh split with the same seed and whatever the source's block sizes; the rows are
// the ones the documented Philox formula picks; a bad fraction is refused. Over an acknowledging source (a Redis
// stream) the training rows acknowledge, in the source's numbers, with every held-out row counted as done.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  isAcknowledgingSource,
  type AcknowledgingSource,
  type CheckpointedRows,
} from '../src/data/acknowledging_source.ts';
import type { RowBlock } from '../src/data/row_block.ts';
import type { RowSource } from '../src/data/row_source.ts';
import { splitValidation, validationUniform } from '../src/data/validation_split.ts';
import { philoxUniforms } from '../src/random/philox.ts';
import { RANDOM_STREAMS } from '../src/random/streams.ts';

/** n rows of D = 3 floats, row i = [i, −i, 0.5]: a row says its own index. Blocks of `blockRows` rows. */
function indexedSource(n: number, blockRows: number): RowSource {
  return {
    name: `indexed(${n})`,
    async *open() {
      for (let start = 0; start < n; start += blockRows) {
        const rows = Math.min(blockRows, n - start);
        const values = new Float32Array(rows * 3);
        for (let r = 0; r < rows; r++) values.set([start + r, -(start + r), 0.5], r * 3);
        const block: RowBlock = { values, rows, D: 3, scale: 1 };
        yield block;
      }
    },
  };
}

/** The indices of the rows of one pass, checking each row is intact. */
async function indices(source: RowSource): Promise<number[]> {
  const out: number[] = [];
  for await (const block of source.open()) {
    assert.is(block.D, 3);
    assert.is(block.values.length, block.rows * 3);
    for (let r = 0; r < block.rows; r++) {
      const [i, minus, half] = block.values.subarray(r * 3, r * 3 + 3);
      assert.ok(minus === -i && half === 0.5, `row ${i} arrives whole`);
      out.push(i);
    }
  }
  return out;
}

test('training and validation rows are disjoint, together all rows, each in source order', async () => {
  const n = 5000;
  const { train, validation } = splitValidation(indexedSource(n, 64), { fraction: 0.2, seed: 7 });
  const t = await indices(train);
  const v = await indices(validation);
  assert.ok(v.length > 0 && t.length > 0);
  const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]);
  assert.ok(increasing(t) && increasing(v), 'order kept');
  const held = new Set(v);
  assert.ok(
    t.every((i) => !held.has(i)),
    'no validation row is a training row',
  );
  assert.equal(
    [...t, ...v].sort((a, b) => a - b),
    Array.from({ length: n }, (_, i) => i),
    'union = all rows',
  );
});

test('the held-out share is within 5 binomial standard deviations of the fraction', async () => {
  const n = 20_000;
  for (const fraction of [0.01, 0.1, 0.5, 0.9]) {
    for (const seed of [1, 2]) {
      const held = (await indices(splitValidation(indexedSource(n, 1000), { fraction, seed }).validation)).length;
      const sd = Math.sqrt(n * fraction * (1 - fraction));
      assert.ok(
        Math.abs(held - n * fraction) <= 5 * sd,
        `fraction ${fraction}, seed ${seed}: ${held} of ${n} held out (expected ${n * fraction} ± ${(5 * sd).toFixed(0)})`,
      );
    }
  }
});

test('the same rows on every pass, from a fresh split, and whatever the block sizes; another seed holds out others', async () => {
  const n = 3000;
  const split = splitValidation(indexedSource(n, 100), { fraction: 0.1, seed: 42 });
  const first = await indices(split.validation);
  assert.equal(await indices(split.validation), first, 'a second pass (next epoch)');
  assert.equal(
    await indices(splitValidation(indexedSource(n, 100), { fraction: 0.1, seed: 42 }).validation),
    first,
    'a fresh split (a resumed run)',
  );
  for (const blockRows of [1, 7, n]) {
    assert.equal(
      await indices(splitValidation(indexedSource(n, blockRows), { fraction: 0.1, seed: 42 }).validation),
      first,
      `blocks of ${blockRows}`,
    );
  }
  const other = await indices(splitValidation(indexedSource(n, 100), { fraction: 0.1, seed: 43 }).validation);
  assert.not.equal(other, first);
  // A larger fraction holds out a superset: the same u_i, a higher threshold.
  const more = new Set(await indices(splitValidation(indexedSource(n, 100), { fraction: 0.3, seed: 42 }).validation));
  assert.ok(first.every((i) => more.has(i)));
});

test('row i is held out exactly when Philox(seed, stream validationSplit) element i is below the fraction', async () => {
  const n = 1001;
  const u = philoxUniforms(9, 0, RANDOM_STREAMS.validationSplit, n);
  const expected = Array.from({ length: n }, (_, i) => i).filter((i) => u[i] < 0.25);
  assert.equal(await indices(splitValidation(indexedSource(n, 33), { fraction: 0.25, seed: 9 }).validation), expected);
  // Beyond 2³⁴ rows the index carries into Philox's step word.
  assert.is(validationUniform(9, 2 ** 34 + 5), philoxUniforms(9, 1, RANDOM_STREAMS.validationSplit, 6)[5]);
  assert.is(validationUniform(9, 17), u[17]);
});

test('byte rows keep their type and scale; a bad fraction is refused', async () => {
  const bytes: RowSource = {
    name: 'bytes',
    async *open() {
      yield { values: Uint8Array.from({ length: 400 }, (_, i) => i % 256), rows: 100, D: 4, scale: 1 / 255 };
    },
  };
  const { train, validation } = splitValidation(bytes, { fraction: 0.5, seed: 3 });
  let rows = 0;
  for (const source of [train, validation]) {
    for await (const block of source.open()) {
      assert.ok(block.values instanceof Uint8Array);
      assert.is(block.scale, 1 / 255);
      rows += block.rows;
    }
  }
  assert.is(rows, 100);
  assert.match(validation.name, /bytes \(validation rows, 50% held out\)/);
  for (const fraction of [0, 1, -0.1, NaN]) {
    assert.throws(
      () => splitValidation(bytes, { fraction, seed: 1 }),
      /validation split's fraction must be a number in \(0, 1\)/,
    );
  }
});

/** indexedSource as an acknowledging source that records what it is told. */
function acknowledgingSource(n: number, blockRows: number) {
  const told = { states: [] as [number, number[]][], checkpointed: [] as unknown[], resumed: [] as unknown[] };
  const source: AcknowledgingSource = {
    ...indexedSource(n, blockRows),
    checkpointState: (rowsConsumed = 0, trainedAbove = []) => {
      told.states.push([rowsConsumed, [...trainedAbove]]);
      return { inner: rowsConsumed };
    },
    checkpointed: async (state) => void told.checkpointed.push(state),
    resumeFrom: async (state) => void told.resumed.push(state),
  };
  return { source, told };
}

test("over an acknowledging source the training rows acknowledge, in the source's numbers, held-out rows counted done", async () => {
  const n = 2000;
  const { source, told } = acknowledgingSource(n, 50);
  const split = splitValidation(source, { fraction: 0.3, seed: 5 });
  assert.ok(isAcknowledgingSource(split.train), 'the run must see an acknowledging source, or it never acknowledges');
  assert.not.ok(isAcknowledgingSource(split.validation));
  assert.not.ok(isAcknowledgingSource(splitValidation(indexedSource(n, 50), { fraction: 0.3, seed: 5 }).train));
  // The run numbers training row k; t[k] is the source's row (its value says which).
  const t = await indices(split.train);
  const held = await indices(split.validation);
  await indices(split.train); // the pass the run trains from: its numbers are the ones mapped
  const check = (low: number, above: number[]) => {
    const state = (split.train as AcknowledgingSource).checkpointState(low, above) as CheckpointedRows;
    const [innerLow, innerAbove] = told.states.at(-1)!;
    assert.is(state.rowsConsumed, innerLow);
    assert.equal(state.trainedAbove, innerAbove);
    assert.equal(state.source, { inner: innerLow });
    // Exactly the trained rows and the held-out ones are done, in the source's numbers.
    const done = new Set([...t.filter((_, k) => k < low || above.includes(k)), ...held]);
    const told_ = new Set(innerAbove);
    for (let i = 0; i < n; i++)
      assert.is(i < innerLow || told_.has(i), done.has(i), `source row ${i} (mark ${low}, above ${above})`);
    return state;
  };
  check(0, []);
  check(10, [12, 15]);
  const mid = check(400, [401, 700]);
  check(t.length, []);
  assert.is(told.states.at(-1)![0], n, 'all trained: every row of the source is done');
  // What the run stores and hands back (AcknowledgementHook): its numbers, with the split's state as `source`.
  const stored: CheckpointedRows = { rowsConsumed: 400, trainedAbove: [401, 700], source: mid };
  await (split.train as AcknowledgingSource).checkpointed(stored);
  assert.equal(told.checkpointed, [mid], 'the source gets the state in its own numbers');
  await (split.train as AcknowledgingSource).resumeFrom!(stored);
  assert.equal(told.resumed, [mid]);
});

test.run();
