// Uniform dequantization (src/data/dequantization.ts, src/stream/dequantize.ts), without a GPU: each byte k
// lands in its own cell [k/256, (k+1)/256), the noise is a function of (seed, step) only, evaluation sets are
// dequantized once and reproducibly, and bits/dim carry the change of variables (a uniform density is 8 bits).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, of, toArray } from 'rxjs';
import { dequantize } from '../src/stream/dequantize.ts';
import { bitsPerDimension, dequantizeRowsOnce, dequantizeValues } from '../src/data/dequantization.ts';
import { trainingStream } from '../src/stream/training_stream.ts';
import { memorySource } from '../src/data/memory_source.ts';
import { STREAM_START } from '../src/stream/positioned_batch.ts';

const bytes = Float32Array.from({ length: 256 }, (_, k) => k / 255);

test('every byte k becomes (k + u)/256, inside its own cell, and u = ½ is the cell centre', () => {
  const u = Float64Array.from({ length: 256 }, (_, k) => (k * 0.618) % 1);
  const out = dequantizeValues(Float32Array.from(bytes), u);
  out.forEach((v, k) => {
    assert.ok(v >= k / 256 && v <= (k + 1) / 256, `byte ${k} → ${v}`);
    assert.ok(Math.abs(v - (k + u[k]) / 256) < 1e-7, `byte ${k}: ${v} vs ${(k + u[k]) / 256}`);
  });
  assert.equal(Array.from(dequantizeValues(Float32Array.from([0, 1]), [0.5, 0.5])), [Math.fround(0.5 / 256), Math.fround(255.5 / 256)]);
});

test('dequantize: fresh noise per step, a function of (seed, step) only; evaluation sets once, with a fixed seed', async () => {
  const batch = (step: number) => ({ data: Float32Array.from(bytes), epoch: 0, index: 0, step });
  const [a, b, a2] = await firstValueFrom(of(batch(1), batch(2), batch(1)).pipe(dequantize(9), toArray()));
  assert.equal(Array.from(a.data), Array.from(a2.data));
  assert.not.equal(Array.from(a.data), Array.from(b.data));
  assert.ok(a.data.every((v, k) => Math.floor(v * 256) === k || v === (k + 1) / 256), 'each value stays in its byte\'s cell');
  const once = dequantizeRowsOnce(bytes);
  assert.equal(Array.from(once), Array.from(dequantizeRowsOnce(bytes)));
  assert.not.equal(Array.from(once), Array.from(a.data));
  assert.is(bytes[255], 1, 'the input is left as it was');
});

test('bits per dimension: the uniform density on [0, 1)^D (log p = 0) is exactly 8 bits, and each nat is 1/(D ln 2) bits', () => {
  assert.is(bitsPerDimension(0, 784), 8);
  assert.ok(Math.abs(bitsPerDimension(784 * Math.LN2, 784) - 7) < 1e-12);
});

test('a stream cannot both binarize and dequantize', async () => {
  const source = memorySource(Uint8Array.from([0, 255, 3, 4]), { D: 2 });
  const stream = trainingStream({ source, B: 1, seed: 1, shuffleWindowRows: 1, binarize: true, dequantize: true, epochs: 1, start: STREAM_START });
  await firstValueFrom(stream).then(() => assert.unreachable('accepted'), (error: Error) => assert.match(error.message, 'cannot follow binarization'));
});

test.run();
