// Uniform dequantization (src/data/dequantization.ts, src/stream/step_input.ts), without a GPU: each byte k
// lands in its own cell [k/256, (k+1)/256), the noise is a function of (seed, step) only, evaluation sets are
// dequantized once and reproducibly, and bits/dim carry the change of variables (a uniform density is 8 bits).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StepInput } from '../src/stream/step_input.ts';
import { bitsPerDimension, dequantizeRowsOnce, dequantizeValues } from '../src/data/dequantization.ts';

const bytes = Float32Array.from({ length: 256 }, (_, k) => k / 255);

test('every byte k becomes (k + u)/256, inside its own cell, and u = ½ is the cell centre', () => {
  const u = Float64Array.from({ length: 256 }, (_, k) => (k * 0.618) % 1);
  const out = dequantizeValues(Float32Array.from(bytes), u);
  out.forEach((v, k) => {
    assert.ok(v >= k / 256 && v <= (k + 1) / 256, `byte ${k} → ${v}`);
    assert.ok(Math.abs(v - (k + u[k]) / 256) < 1e-7, `byte ${k}: ${v} vs ${(k + u[k]) / 256}`);
  });
  assert.equal(Array.from(dequantizeValues(Float32Array.from([0, 1]), [0.5, 0.5])), [
    Math.fround(0.5 / 256),
    Math.fround(255.5 / 256),
  ]);
});

test('dequantize: fresh noise per step, a function of (seed, step) only; evaluation sets once, with a fixed seed', async () => {
  const input = StepInput.of({ binarize: false, dequantize: true }, 9);
  const batch = (step: number) => ({
    data: input.prepare({ data: Float32Array.from(bytes), D: 256, scale: 1 }, step).slice(),
  });
  const [a, b, a2] = [batch(1), batch(2), batch(1)];
  assert.equal(Array.from(a.data), Array.from(a2.data));
  assert.not.equal(Array.from(a.data), Array.from(b.data));
  assert.ok(
    a.data.every((v, k) => Math.floor(v * 256) === k || v === (k + 1) / 256),
    "each value stays in its byte's cell",
  );
  const once = dequantizeRowsOnce(bytes);
  assert.equal(Array.from(once), Array.from(dequantizeRowsOnce(bytes)));
  assert.not.equal(Array.from(once), Array.from(a.data));
  assert.is(bytes[255], 1, 'the input is left as it was');
});

test('bits per dimension: the uniform density on [0, 1)^D (log p = 0) is exactly 8 bits, and each nat is 1/(D ln 2) bits', () => {
  assert.is(bitsPerDimension(0, 784), 8);
  assert.ok(Math.abs(bitsPerDimension(784 * Math.LN2, 784) - 7) < 1e-12);
});

test('a run cannot both binarize and dequantize', () => {
  assert.throws(() => StepInput.of({ binarize: true, dequantize: true }, 1), /cannot follow binarization/);
});

test.run();
