// assertClose itself: the tolerance rule, non-finite handling, and the failure message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, maxAbsDiff } from '../assert_close.ts';

const tol = { atol: 1e-3, rtol: 1e-2 };

test('assertClose: passes at exactly atol + rtol·|expected|, fails just beyond', () => {
  // Binary-exact numbers so the boundary is not blurred by rounding: bound = 0.25 + 0.5·2 = 1.25.
  const exactTol = { atol: 0.25, rtol: 0.5 };
  assertClose([3.25, 0.75], [2, 2], exactTol);
  assert.throws(() => assertClose([3.2500001], [2], exactTol));
  assert.throws(() => assertClose([0.7499999], [2], exactTol));
});

test('assertClose: rtol is relative to expected, not actual', () => {
  assertClose([0], [0.0005], { atol: 0, rtol: 1 }); // |0 − 5e-4| ≤ 1·5e-4
  assert.throws(() => assertClose([0.0005], [0], { atol: 0, rtol: 1 }));
});

test('assertClose: NaN never passes; infinities only against the identical infinity', () => {
  assert.throws(() => assertClose([NaN], [NaN], { atol: Infinity, rtol: 0 }));
  assert.throws(() => assertClose([1], [NaN], { atol: Infinity, rtol: 0 }));
  assert.throws(() => assertClose([Infinity], [1e300], { atol: Infinity, rtol: 0 }));
  assert.throws(() => assertClose([Infinity], [-Infinity], { atol: Infinity, rtol: 0 }));
  assertClose([Infinity, -Infinity], [Infinity, -Infinity], { atol: 0, rtol: 0 });
});

test('assertClose: length mismatch fails', () => {
  assert.throws(() => assertClose([1, 2], [1], tol), /length/);
});

test('assertClose: message names label, count, first mismatches and the largest diff', () => {
  const actual = [0, 1, 2, 3, 4, 5, 6, 7];
  const expected = [0, 1.5, 2, 3.1, 5, 6, 7, 20];
  try {
    assertClose(actual, expected, { atol: 0.01, rtol: 0, label: 'probe' });
    assert.unreachable('should have thrown');
  } catch (err) {
    const msg = (err as Error).message;
    assert.match(msg, /^probe: 6 of 8 elements differ/);
    assert.match(msg, /\[1\] actual=1 expected=1.5 diff=0.5/);
    assert.not.match(msg, /\[7\] actual=7/); // only the first 5 are listed
    assert.match(msg, /largest \|diff\| = 13 at index 7/);
  }
});

test('maxAbsDiff', () => {
  assert.is(maxAbsDiff([1, 2, 3], [1, 2.5, 2]), 1);
  assert.is(maxAbsDiff([Infinity], [Infinity]), 0);
  assert.ok(Number.isNaN(maxAbsDiff([1, NaN], [1, 2])));
});

test.run();
