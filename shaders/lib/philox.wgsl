// lib/philox.wgsl — the counter-based generator Philox-4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random
// numbers: as easy as 1, 2, 3", SC'11) and its word → uniform map, stated once for every kernel that draws.
//
//   (r0, r1, r2, r3) = philox4x32_10(counter, key)     key = (seed_lo, seed_hi); aevb's counters are
//                                                        (block, step, stream, 0) (docs/conventions.md)
//   to_open_unit(r)  = ((r >> 9) + ½) · 2⁻²³            in (0, 1), exact in float32
//
// src/random/philox.ts is the CPU implementation, bit-exact with this one and checked against Random123's
// published known-answer vectors (test/philox.test.ts). Uses nothing of the including shader.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

// High 32 bits of the 64-bit product a·b, from 16-bit halves (WGSL has no 64-bit integers).
fn mul_hi(a: u32, b: u32) -> u32 {
  let al = a & 0xFFFFu;
  let ah = a >> 16u;
  let bl = b & 0xFFFFu;
  let bh = b >> 16u;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = ((al * bl) >> 16u) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
  return ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    let hi0 = mul_hi(PHILOX_M0, c.x);
    let lo0 = PHILOX_M0 * c.x;
    let hi1 = mul_hi(PHILOX_M1, c.z);
    let lo1 = PHILOX_M1 * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return c;
}

// 23 bits + ½ needs 24 significant bits, exactly float32's: every step below is exact, on any adapter.
fn to_open_unit(r: u32) -> f32 {
  return (f32(r >> 9u) + 0.5) * (1.0 / 8388608.0);
}
