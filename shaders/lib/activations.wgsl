// lib/activations.wgsl — the elementwise functions several kernels share, each stated once.
//
//   sigmoid(l)     = 1 / (1 + e^{−l}),            through e^{−|l|}: no overflow for any l
//   softplus(x)    = max(x, 0) + log(1 + e^{−|x|}) = log(1 + e^x) without overflow
//   stable_tanh(x) = sign(x) · (1 − e^{−2|x|}) / (1 + e^{−2|x|})
//
// They compute on `Real`, which the including shader names: `alias Real = f32;` in the scalar kernels,
// `alias Real = vec4<f32>;` in matmul_lanes.wgsl. WGSL has no generic functions; the alias lets one text serve
// both, componentwise, and `Real(1.0)` is 1.0 or its splat. Branches are `select`s for the same reason: both
// operands are computed, the chosen one is the value the branch would have returned, to the bit.

fn sigmoid(l: Real) -> Real {
  let e = exp(-abs(l));  // e^{−l} for l ≥ 0, e^{l} below: always the exp of a non-positive number
  return select(e / (Real(1.0) + e), Real(1.0) / (Real(1.0) + e), l >= Real(0.0));
}

fn softplus(x: Real) -> Real {
  return max(x, Real(0.0)) + log(Real(1.0) + exp(-abs(x)));
}

// tanh through exp(-2|x|), which cannot overflow; some drivers evaluate the builtin as a ratio of
// exponentials that becomes inf/inf = NaN for |x| beyond ~44.
fn stable_tanh(x: Real) -> Real {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (Real(1.0) - e) / (Real(1.0) + e);
}
