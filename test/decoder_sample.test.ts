// shaders/decoder_sample.wgsl against test/reference/decoder_sample.ts for the three decoders (values within
// float32 rounding of a Bernoulli threshold are left out), and the Bernoulli draws' frequency against p.
import * as assert from 'uvu/assert';
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededNormal, seededUniform } from './seeded_random.ts';
import { decoderSample as referenceSample } from './reference/decoder_sample.ts';
import { decoderSample } from '../src/kernels/decoder_sample.ts';
import { LIKELIHOODS } from '../src/model/vae_architecture.ts';

const test = gpuSuite('decoder_sample');
const f32 = (a: ArrayLike<number>) => Float64Array.from(Float32Array.from(a));
const sigmoid = (l: number) => 1 / (1 + Math.exp(-l));

for (const likelihood of LIKELIHOODS) {
  test(`${likelihood}: x ~ p(x|z) equals the reference`, async ({ gpu }) => {
    const [B, D, floor] = [7, 300, -2];
    const width = likelihood === 'gaussian' ? 2 * D : D;
    const out = f32(seededUniform(71, B * width, -4, 2));
    const noise = f32(seededNormal(72, B * 2 * D));
    const logVar = likelihood === 'gaussian-shared-variance' ? f32(seededUniform(73, D, -4, 0)) : null;
    const x = zeros(gpu, B * D);
    const kernel = decoderSample(gpu, {
      B,
      D,
      likelihood,
      minLogVar: floor,
      out: { buffer: upload(gpu, out) },
      noise: { buffer: upload(gpu, noise) },
      logVar: logVar ? { buffer: upload(gpu, logVar) } : undefined,
      x: { buffer: x },
    });
    const got = await runAndRead(gpu, [kernel], x, B * D);
    const expected = referenceSample(likelihood, out, noise, logVar, B, D, floor);
    if (likelihood === 'bernoulli') {
      // Where u and p agree to float32 rounding either draw is right: those values are not compared.
      const clear = [...expected.keys()].filter((i) => {
        const [b, d] = [Math.floor(i / D), i % D];
        const u = Math.exp(-0.5 * (noise[b * 2 * D + d] ** 2 + noise[b * 2 * D + D + d] ** 2));
        return Math.abs(u - sigmoid(out[i])) > 1e-5;
      });
      assert.ok(clear.length > 0.99 * B * D, `${clear.length} of ${B * D} draws clear of the threshold`);
      assertClose(
        clear.map((i) => got[i]),
        clear.map((i) => expected[i]),
        { atol: 0, rtol: 0, label: 'bernoulli draws' },
      );
    } else {
      assertClose(got, expected, { atol: 1e-6, rtol: 1e-5, label: `${likelihood} draws` });
    }
  });
}

test('Bernoulli draws from two normals have frequency p', async ({ gpu }) => {
  const [B, D] = [400, 50];
  const p = 0.3;
  const out = new Float64Array(B * D).fill(Math.log(p / (1 - p)));
  const x = zeros(gpu, B * D);
  const kernel = decoderSample(gpu, {
    B,
    D,
    likelihood: 'bernoulli',
    minLogVar: -10,
    out: { buffer: upload(gpu, out) },
    noise: { buffer: upload(gpu, seededNormal(74, B * 2 * D)) },
    x: { buffer: x },
  });
  const ones = (await runAndRead(gpu, [kernel], x, B * D)).reduce((s, v) => s + v, 0);
  const sd = Math.sqrt(B * D * p * (1 - p));
  assert.ok(Math.abs(ones - B * D * p) < 4 * sd, `${ones} ones of ${B * D} at p = ${p}`);
});

test('the shared log-variances are bound for that decoder only', ({ gpu }) => {
  const b = { buffer: zeros(gpu, 16) };
  throwsWith(
    () =>
      decoderSample(gpu, {
        B: 2,
        D: 3,
        likelihood: 'gaussian',
        minLogVar: -5,
        out: { buffer: zeros(gpu, 12) },
        noise: { buffer: zeros(gpu, 12) },
        logVar: b,
        x: b,
      }),
    ['decoder_sample', 'logVar is bound for the gaussian-shared-variance decoder'],
  );
  throwsWith(
    () =>
      decoderSample(gpu, {
        B: 2,
        D: 3,
        likelihood: 'gaussian',
        minLogVar: -5,
        out: { buffer: zeros(gpu, 6) },
        noise: { buffer: zeros(gpu, 12) },
        x: b,
      }),
    ['decoder_sample', 'out holds 6 floats, needs 12'],
  );
});

test.run();
