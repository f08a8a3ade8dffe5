// Elementwise closeness check shared by every reference and GPU test.
// Passes iff the lengths agree and, for every i, |a − e| ≤ atol + rtol·|e| (numpy.isclose's asymmetric form:
// `expected` is the trusted side). NaN never passes, and an infinity passes only against the identical infinity,
// so a kernel that overflows cannot hide behind a generous tolerance.

export interface CloseOptions {
  atol: number;
  rtol: number;
  label?: string;
}

function elementOk(a: number, e: number, atol: number, rtol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(e)) return false;
  if (!Number.isFinite(a) || !Number.isFinite(e)) return a === e; // only the identical infinity
  return Math.abs(a - e) <= atol + rtol * Math.abs(e);
}

// |a − e| for reporting; identical infinities differ by 0, anything else non-finite by NaN or Infinity.
function absDiff(a: number, e: number): number {
  if (a === e) return 0;
  return Math.abs(a - e);
}

/** Largest |actual[i] − expected[i]|. NaN if any pair involves a NaN; identical infinities count as 0. */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) {
    throw new Error(`maxAbsDiff: length mismatch ${actual.length} vs ${expected.length}`);
  }
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = absDiff(actual[i], expected[i]);
    if (Number.isNaN(d)) return NaN;
    if (d > worst) worst = d;
  }
  return worst;
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, opts: CloseOptions): void {
  const { atol, rtol } = opts;
  const label = opts.label ?? 'assertClose';
  if (actual.length !== expected.length) {
    throw new Error(`${label}: length mismatch, actual ${actual.length} vs expected ${expected.length}`);
  }
  const n = actual.length;
  const first: string[] = [];
  let mismatches = 0;
  let worstIndex = -1;
  let worstDiff = -1; // NaN diffs rank as Infinity, so a NaN is reported as the largest
  for (let i = 0; i < n; i++) {
    const a = actual[i];
    const e = expected[i];
    if (elementOk(a, e, atol, rtol)) continue;
    mismatches++;
    const d = absDiff(a, e);
    if (first.length < 5) first.push(`  [${i}] actual=${a} expected=${e} diff=${d}`);
    const rank = Number.isNaN(d) ? Infinity : d;
    if (rank > worstDiff) {
      worstDiff = rank;
      worstIndex = i;
    }
  }
  if (mismatches === 0) return;
  const worst = absDiff(actual[worstIndex], expected[worstIndex]);
  throw new Error(
    `${label}: ${mismatches} of ${n} elements differ (atol=${atol}, rtol=${rtol})\n` +
      `first mismatches:\n${first.join('\n')}\n` +
      `largest |diff| = ${worst} at index ${worstIndex}`,
  );
}
