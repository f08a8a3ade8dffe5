// Central finite differences in float64 for the gradient checks. A backward pass is checked by contracting the
// forward with a random cotangent r, f(θ) = Σ r ⊙ forward(θ), whose gradient is exactly backward(θ, dy = r).
// Error budget for h = 1e-6: truncation ~ h²·|f'''|/6 ≈ 1e-13, rounding ~ 1e-16·|f|/h ≈ 1e-10·|f|, so with
// |f| = O(10) the numeric gradient is good to ~1e-9, well inside atol 1e-7 / rtol 1e-6.

export const FD_STEP = 1e-6;
export const FD_TOL = { atol: 1e-7, rtol: 1e-6 };

/** Σ r ⊙ y. */
export function contract(r: ArrayLike<number>, y: ArrayLike<number>): number {
  if (r.length !== y.length) throw new Error(`contract: ${r.length} vs ${y.length}`);
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i] * y[i];
  return s;
}

/** ∂f/∂θ_i ≈ (f(θ + h e_i) − f(θ − h e_i)) / 2h for every i. */
export function numericGradient(
  f: (theta: Float64Array) => number,
  theta: ArrayLike<number>,
  h = FD_STEP,
): Float64Array {
  const t = Float64Array.from(theta);
  const g = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) {
    const orig = t[i];
    t[i] = orig + h;
    const fp = f(t);
    t[i] = orig - h;
    const fm = f(t);
    t[i] = orig;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** Moves every value at least `margin` away from 0 (keeps its sign), so relu's kink is never straddled. */
export function awayFromZero(v: Float64Array, margin = 1e-2): Float64Array {
  return v.map((x) => (Math.abs(x) < margin ? (x < 0 ? -margin : margin) + x : x));
}
