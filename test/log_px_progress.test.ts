// aevb eval with k = 10⁶ importance samples printed nothing for minutes (issue 22, item 11): progress came only
// at the end of a chunk of rows, each of which draws k samples. Now importanceSampledLogPx reports every
// PROGRESS_SAMPLES samples within a chunk, eval says once how long the whole estimate will take at the rate
// measured, and values beyond the random streams there are are refused up front, naming the flags.
import * as assert from 'uvu/assert';
import { gpuSuite } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { Vae } from '../src/vae/vae.ts';
import { PROGRESS_SAMPLES } from '../src/eval/importance_sampled_log_px.ts';
import { DurationEstimate, refuseBeyondCounters } from '../src/cli/eval_command.node.ts';

const test = gpuSuite('log p(x) progress');

test('progress within a chunk: every PROGRESS_SAMPLES samples, counted in samples of rows × k', async ({ gpu }) => {
  const vae = await Vae.create({ D: 4, hidden: [3], latent: 2, activation: 'tanh', init: 'glorot', seed: 3 }, { gpu });
  try {
    const rows = 3;
    const k = 4 * PROGRESS_SAMPLES;
    const reports: Array<[number, number]> = [];
    await vae.logPx(Float32Array.from(seededUniform(1, rows * 4)), {
      k,
      chunk: rows, // one chunk: before, a single report at its end
      onProgress: (done, total) => reports.push([done, total]),
    });
    assert.equal(
      reports,
      [1, 2, 3, 4].map((n) => [n * PROGRESS_SAMPLES * rows, rows * k]),
    );
  } finally {
    vae.destroy();
  }
});

test('eval says how long it will take once, after a few seconds, and refuses k beyond the random streams', () => {
  const estimate = new DurationEstimate(performance.now() - 4000);
  assert.match(
    estimate.after(1_000_000, 1_000_000_000) ?? '',
    /^1000000000 importance samples at 2[45]\d{4} samples\/s measured so far: about 6\d min more$/,
  );
  assert.is(estimate.after(2_000_000, 1_000_000_000), null, 'said once');
  assert.is(new DurationEstimate(performance.now()).after(10, 100), null, 'not before a steady rate');
  assert.throws(
    () => refuseBeyondCounters(1e9, 1000, 100),
    /--k 1000000000 over 1000 points in chunks of --chunk 100 \(10 chunks\) needs 10000000000 random streams, more than the 2³²/,
  );
  refuseBeyondCounters(1e6, 1000, 100);
});

test.run();
