// CPU Philox-4x32-10 against the Random123 known-answer vectors, and the word → uniform → normal mapping of
// docs/conventions.md.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mulhi32, philox4x32, philoxKey, philoxNormals, philoxUniforms, wordToUniform } from '../src/random/philox.ts';
import type { PhiloxCounter, PhiloxKey } from '../src/random/philox.ts';
import { seededUniform } from './seeded_random.ts';

// From DEShawResearch/random123, tests/kat_vectors (lines "philox4x32 10 CTR[4] KEY[2] EXPECTED[4]"):
// counter 0 / key 0, counter and key all ones, and the hex digits of π.
const KAT: { ctr: PhiloxCounter; key: PhiloxKey; expected: PhiloxCounter }[] = [
  {
    ctr: [0x00000000, 0x00000000, 0x00000000, 0x00000000],
    key: [0x00000000, 0x00000000],
    expected: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
  },
  {
    ctr: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    expected: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    ctr: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    expected: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

const hex = (v: number[]) => v.map((w) => w.toString(16).padStart(8, '0')).join(' ');

test('philox4x32-10: Random123 known-answer vectors', () => {
  for (const { ctr, key, expected } of KAT) assert.is(hex(philox4x32(ctr, key)), hex(expected));
});

test('mulhi32 agrees with BigInt on edge and random operands', () => {
  const edge = [0, 1, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xd2511f53, 0xcd9e8d57];
  const rnd = Array.from(seededUniform(5, 2000, 0, 2 ** 32), Math.floor);
  const ops = [...edge, ...rnd];
  for (let i = 0; i < ops.length; i++) {
    const a = ops[i];
    const b = ops[(i * 7 + 3) % ops.length];
    for (const [x, y] of [
      [a, b],
      [a, a],
      [a, 0xffffffff],
    ]) {
      const want = Number((BigInt(x) * BigInt(y)) >> 32n);
      if (mulhi32(x, y) !== want) assert.unreachable(`mulhi32(${x}, ${y}) = ${mulhi32(x, y)}, want ${want}`);
    }
  }
});

test('philoxKey: (seed mod 2^32, floor(seed / 2^32)); number and bigint agree', () => {
  assert.equal(philoxKey(0), [0, 0]);
  assert.equal(philoxKey(0x123456789abcd), [0x6789abcd, 0x12345]);
  assert.equal(philoxKey(0x123456789abcdn), [0x6789abcd, 0x12345]);
  assert.equal(philoxKey(0xfedcba9876543210n), [0x76543210, 0xfedcba98]);
  assert.throws(() => philoxKey(-1));
  assert.throws(() => philoxKey(2 ** 53));
  assert.throws(() => philoxKey(1n << 64n));
});

test('element e comes from block floor(e/4), word e mod 4, counter (block, step, stream, 0)', () => {
  const seed = 0x1234567890n;
  const [step, stream] = [17, 3];
  const key = philoxKey(seed);
  const u = philoxUniforms(seed, step, stream, 10);
  for (let e = 0; e < 10; e++) {
    const r = philox4x32([Math.floor(e / 4), step, stream, 0], key);
    assert.is(u[e], wordToUniform(r[e % 4]));
  }
  // Box–Muller per pair of words, exactly as in the conventions.
  const n = philoxNormals(seed, step, stream, 7);
  for (let e = 0; e < 7; e += 2) {
    const r = philox4x32([Math.floor(e / 4), step, stream, 0], key);
    const u0 = ((r[e % 4] >>> 9) + 0.5) / 2 ** 23;
    const u1 = ((r[(e % 4) + 1] >>> 9) + 0.5) / 2 ** 23;
    assert.is(n[e], Math.sqrt(-2 * Math.log(u0)) * Math.cos(Math.PI * (2 * u1 - 1)));
    if (e + 1 < 7) assert.is(n[e + 1], Math.sqrt(-2 * Math.log(u0)) * Math.sin(Math.PI * (2 * u1 - 1)));
  }
  // A shorter request is a prefix of a longer one (odd n does not shift anything).
  assert.equal(
    Array.from(philoxNormals(seed, step, stream, 7)),
    Array.from(philoxNormals(seed, step, stream, 12).subarray(0, 7)),
  );
});

test('uniform mapping: u in (0, 1), extremes at half a bin from each end', () => {
  assert.is(wordToUniform(0), 0.5 / 2 ** 23);
  assert.is(wordToUniform(0xffffffff), 1 - 0.5 / 2 ** 23);
  assert.is(wordToUniform(0x000001ff), wordToUniform(0)); // the low 9 bits are dropped
  assert.is.not(wordToUniform(0x00000200), wordToUniform(0));
});

function meanVar(a: Float64Array): [number, number] {
  let s = 0;
  for (const v of a) s += v;
  const mean = s / a.length;
  let q = 0;
  for (const v of a) q += (v - mean) * (v - mean);
  return [mean, q / (a.length - 1)];
}

test('philoxNormals: mean ≈ 0 and variance ≈ 1 over 1e5 samples (within 4 standard errors)', () => {
  const n = 100_000;
  for (const [seed, step, stream] of [
    [0, 0, 0],
    [42, 7, 1],
    [2n ** 40n + 5n, 123456, 0],
  ] as const) {
    const [mean, variance] = meanVar(philoxNormals(seed, step, stream, n));
    const seMean = 1 / Math.sqrt(n); // sd of the sample mean of N(0, 1)
    const seVar = Math.sqrt(2 / (n - 1)); // sd of the sample variance of N(0, 1)
    assert.ok(Math.abs(mean) < 4 * seMean, `seed ${seed}: mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 4 * seVar, `seed ${seed}: variance ${variance}`);
  }
  const [um, uv] = meanVar(philoxUniforms(9, 1, 0, n));
  assert.ok(Math.abs(um - 0.5) < 4 * Math.sqrt(1 / 12 / n), `uniform mean ${um}`);
  assert.ok(Math.abs(uv - 1 / 12) < 4 * Math.sqrt(1 / 180 / n), `uniform variance ${uv}`); // Var(s²) = (μ4 − σ⁴)/n = 1/180n
});

test('different streams, steps and seeds give different numbers; the same triple repeats', () => {
  const base = philoxNormals(1, 5, 0, 64);
  assert.equal(Array.from(philoxNormals(1, 5, 0, 64)), Array.from(base));
  for (const other of [
    philoxNormals(1, 5, 1, 64),
    philoxNormals(1, 6, 0, 64),
    philoxNormals(2, 5, 0, 64),
    philoxNormals(2n ** 32n + 1n, 5, 0, 64),
  ]) {
    let same = 0;
    for (let i = 0; i < 64; i++) if (other[i] === base[i]) same++;
    assert.is(same, 0);
  }
});

test.run();
