// Early stopping (src/train/early_stopping.ts): stops after `patience` evaluations without an improvement of
// more than minDelta, reports each new best, treats NaN as no improvement, works for a loss too, and its state
// survives a JSON round trip mid-run (a resume) with the same decisions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  INITIAL_EARLY_STOPPING,
  observeEvaluation,
  parseEarlyStoppingState,
  validateEarlyStopping,
  type EarlyStoppingConfig,
  type EarlyStoppingState,
} from '../src/train/early_stopping.ts';

/** Feeds the values one per evaluation (steps 100, 200, …) and records each outcome until a stop. */
function run(
  config: EarlyStoppingConfig,
  values: number[],
  start: EarlyStoppingState = INITIAL_EARLY_STOPPING,
  firstStep = 100,
) {
  let state = start;
  const improved: boolean[] = [];
  let stoppedAt: number | null = null;
  for (const [i, v] of values.entries()) {
    const u = observeEvaluation(config, state, v, firstStep + 100 * i);
    state = u.state;
    improved.push(u.improved);
    if (u.stop) {
      stoppedAt = firstStep + 100 * i;
      break;
    }
  }
  return { state, improved, stoppedAt };
}

const elbo: EarlyStoppingConfig = { patience: 3, minDelta: 0.5, mode: 'max' };

test('an ELBO that stops improving by more than minDelta stops the run after `patience` evaluations', () => {
  // −120 → −110 → −105 (bests); −104.8 is within minDelta; −106, −105.2 are worse: the 3rd miss stops.
  const r = run(elbo, [-120, -110, -105, -104.8, -106, -105.2, -90]);
  assert.equal(r.improved, [true, true, true, false, false, false]);
  assert.is(r.stoppedAt, 600);
  assert.equal(r.state, { best: -105, bestStep: 300, sinceBest: 3, stopped: true });
  assert.throws(() => observeEvaluation(elbo, r.state, -80, 700), /already stopped the run \(best -105 at step 300\)/);
});

test('an improvement resets the count; a NaN never improves; minDelta 0 takes any strict improvement', () => {
  const r = run(elbo, [-100, -101, -102, -99, NaN, NaN, -98]);
  assert.equal(r.improved, [true, false, false, true, false, false, true]);
  assert.is(r.stoppedAt, null);
  assert.equal(r.state, { best: -98, bestStep: 700, sinceBest: 0, stopped: false });
  assert.equal(run({ ...elbo, minDelta: 0, patience: 1 }, [-100, -99.999, -99.999]).improved, [true, true, false]);
  assert.equal(run(elbo, [NaN, -200]).improved, [false, true], 'a first NaN is no best either');
});

test("mode 'min' minimises a loss", () => {
  const r = run({ patience: 2, minDelta: 0, mode: 'min' }, [3, 2, 2.5, 1.9, 2, 2]);
  assert.equal(r.improved, [true, true, false, true, false, false]);
  assert.is(r.stoppedAt, 600);
  assert.is(r.state.best, 1.9);
});

test('a run resumed from the JSON state mid-way decides exactly as one that never stopped', () => {
  const values = [-150, -130, -131, -125, -126, -127, -124.9, -126, -127, -128];
  const whole = run(elbo, values);
  const first = run(elbo, values.slice(0, 5));
  const restored = parseEarlyStoppingState(JSON.parse(JSON.stringify(first.state)));
  const second = run(elbo, values.slice(5), restored, 600);
  assert.equal([...first.improved, ...second.improved], whole.improved);
  assert.is(second.stoppedAt, whole.stoppedAt);
  assert.equal(second.state, whole.state);
});

test('bad settings and bad saved states are refused naming the field', () => {
  assert.throws(
    () => validateEarlyStopping({ patience: 0, minDelta: 0, mode: 'max' }),
    /earlyStopping\.patience must be an integer ≥ 1/,
  );
  assert.throws(
    () => validateEarlyStopping({ patience: 2, minDelta: -1, mode: 'max' }, '--early-stop'),
    /--early-stop\.minDelta must be a finite number ≥ 0, got -1/,
  );
  assert.throws(
    () => validateEarlyStopping({ patience: 2, minDelta: 0, mode: 'up' as 'max' }),
    /mode must be max or min, got 'up'/,
  );
  validateEarlyStopping(elbo);
  assert.throws(
    () =>
      parseEarlyStoppingState(
        { best: -100, bestStep: null, sinceBest: 0, stopped: false },
        'checkpoint: earlyStopping',
      ),
    /checkpoint: earlyStopping must be \{best/,
  );
  assert.throws(
    () => parseEarlyStoppingState({ best: null, bestStep: null, sinceBest: -1, stopped: false }),
    /sinceBest: integer ≥ 0/,
  );
  assert.throws(() => parseEarlyStoppingState(null), /got null/);
  assert.equal(parseEarlyStoppingState(INITIAL_EARLY_STOPPING), INITIAL_EARLY_STOPPING);
});

test.run();
