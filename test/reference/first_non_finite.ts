// The rule the non-finite flags follow, in plain float64 JavaScript: a flag holds the smallest step number among
// the steps whose watched values included a NaN or an infinity, or null when there was none.

export function firstNonFiniteStep(observations: Array<{ step: number; values: ArrayLike<number> }>): number | null {
  let first: number | null = null;
  for (const { step, values } of observations) {
    let bad = false;
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) bad = true;
    if (bad && (first === null || step < first)) first = step;
  }
  return first;
}
