// Deterministic inputs for the reference tests: mulberry32 (a tiny 32-bit PRNG, good enough for test data,
// not for the model) and Box–Muller on top of it. Every call restarts from its seed, so give distinct inputs
// distinct seeds.

/** A stream of uniforms in [0, 1) from `seed`, one per call (the fuzz tests draw their mutations from one). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296; // [0, 1)
  };
}

/** n uniforms in [lo, hi). */
export function seededUniform(seed: number, n: number, lo = 0, hi = 1): Float64Array {
  const next = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/** n normals with mean 0 and standard deviation std. */
export function seededNormal(seed: number, n: number, std = 1): Float64Array {
  const next = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u0 = 1 - next(); // (0, 1]: log stays finite
    const u1 = next();
    const r = Math.sqrt(-2 * Math.log(u0));
    out[i] = std * r * Math.cos(2 * Math.PI * u1);
    if (i + 1 < n) out[i + 1] = std * r * Math.sin(2 * Math.PI * u1);
  }
  return out;
}
