// Philox-4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11) on the CPU,
// bit-exact with Random123 and with the WGSL kernel, plus the word → uniform → normal mapping of
// docs/conventions.md. Platform-neutral: no node: imports, runs in browsers too.
//
// All words are kept as unsigned 32-bit integers in JS numbers (0 … 2³²−1). Products are formed exactly:
// Math.imul gives the low word, mulhi32 the high word from 16-bit limbs (every partial sum stays below 2⁵³).

export type PhiloxCounter = [number, number, number, number];
export type PhiloxKey = [number, number];

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const ROUNDS = 10;

/** High 32 bits of the 64-bit product of two u32. */
export function mulhi32(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const ll = aLo * bLo; // each partial product < 2³²: exact in a double
  const lh = aLo * bHi;
  const hl = aHi * bLo;
  const hh = aHi * bHi;
  // Bits 16…47 of the product, split so that the carry into bit 32 is explicit.
  const mid = Math.floor(ll / 0x10000) + (lh % 0x10000) + (hl % 0x10000); // < 3·2¹⁶
  return (hh + Math.floor(lh / 0x10000) + Math.floor(hl / 0x10000) + Math.floor(mid / 0x10000)) >>> 0;
}

function u32(x: number, what: string): number {
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new Error(`philox: ${what} must be a u32, got ${x}`);
  return x;
}

/** One Philox-4x32 block with 10 rounds. Round 0 uses the key as given; the key is bumped before each later round. */
export function philox4x32(counter: PhiloxCounter, key: PhiloxKey): PhiloxCounter {
  let c0 = u32(counter[0], 'counter[0]');
  let c1 = u32(counter[1], 'counter[1]');
  let c2 = u32(counter[2], 'counter[2]');
  let c3 = u32(counter[3], 'counter[3]');
  let k0 = u32(key[0], 'key[0]');
  let k1 = u32(key[1], 'key[1]');
  for (let r = 0; r < ROUNDS; r++) {
    if (r > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi32(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  return [c0, c1, c2, c3];
}

/** key (k0, k1) = (seed mod 2³², ⌊seed / 2³²⌋); seed a non-negative integer below 2⁶⁴ (2⁵³ if a number). */
export function philoxKey(seed: number | bigint): PhiloxKey {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 1n << 64n) throw new Error(`philox: seed must be in [0, 2^64), got ${seed}`);
    return [Number(seed & 0xffffffffn), Number(seed >> 32n)];
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(
      `philox: a number seed must be a non-negative safe integer (use a bigint beyond 2^53), got ${seed}`,
    );
  }
  const k1 = Math.floor(seed / 0x100000000);
  return [seed - k1 * 0x100000000, k1];
}

/**
 * u = ((r >> 9) + 0.5) · 2⁻²³: the top 23 bits, centred in their bin, so u ∈ (0, 1). 23 bits + ½ needs 24
 * significant bits, exactly float32's, so the GPU computes the same u bit for bit (24 bits + ½ would round).
 */
export function wordToUniform(r: number): number {
  return ((r >>> 9) + 0.5) * 1.1920928955078125e-7; // 2⁻²³
}

// The raw words for elements 0 … n−1: element e comes from block ⌊e/4⌋, word e mod 4,
// counter (block, step, stream, 0).
function philoxWords(
  seed: number | bigint,
  step: number,
  stream: number,
  n: number,
  visit: (block: number, r: PhiloxCounter) => void,
): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`philox: n must be a non-negative integer, got ${n}`);
  const key = philoxKey(seed);
  u32(step, 'step');
  u32(stream, 'stream');
  const blocks = Math.ceil(n / 4);
  u32(Math.max(0, blocks - 1), 'block index');
  for (let block = 0; block < blocks; block++) visit(block, philox4x32([block, step, stream, 0], key));
}

/** n uniforms in (0, 1) for (seed, step, stream), computed in float64. */
export function philoxUniforms(
  seed: number | bigint,
  step: number,
  stream: number,
  n: number,
  into?: Float64Array,
): Float64Array {
  // `into` lets a hot loop (binarizing every minibatch) reuse one buffer instead of making garbage per call.
  const out = into !== undefined && into.length >= n ? into : new Float64Array(n);
  philoxWords(seed, step, stream, n, (block, r) => {
    for (let j = 0; j < 4; j++) {
      const e = 4 * block + j;
      if (e < n) out[e] = wordToUniform(r[j]);
    }
  });
  return out;
}

/**
 * n standard normals for (seed, step, stream), computed in float64. Box–Muller per pair of words:
 * (r0, r1) → n0 = √(−2 ln u0) cos θ, n1 = √(−2 ln u0) sin θ with θ = π (2 u1 − 1) ∈ (−π, π)
 * (WGSL bounds the error of cos/sin only on [−π, π], so the GPU keeps its angle there too); likewise (r2, r3) → n2, n3.
 */
export function philoxNormals(seed: number | bigint, step: number, stream: number, n: number): Float64Array {
  const out = new Float64Array(n);
  philoxWords(seed, step, stream, n, (block, r) => {
    for (let pair = 0; pair < 2; pair++) {
      const e = 4 * block + 2 * pair;
      if (e >= n) break;
      const u0 = wordToUniform(r[2 * pair]);
      const u1 = wordToUniform(r[2 * pair + 1]);
      const radius = Math.sqrt(-2 * Math.log(u0));
      const angle = Math.PI * (2 * u1 - 1);
      out[e] = radius * Math.cos(angle);
      if (e + 1 < n) out[e + 1] = radius * Math.sin(angle);
    }
  });
  return out;
}
