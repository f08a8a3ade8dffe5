// shaders/gaussian_mlp_likelihood.wgsl (the paper's Gaussian decoder) against
// test/reference/gaussian_mlp_likelihood.ts: log p(x|z) per datapoint and ∂loss/∂[mean logits | log σ²], with
// a floor below every log-variance, one that clamps some of them (their gradient is then 0), and the floor
// keeping log p finite where the decoder asks for σ² → 0 on a constant pixel.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { gaussianMlpLogLikelihood, gaussianMlpLogLikelihoodBackward } from './reference/gaussian_mlp_likelihood.ts';
import { gaussianLogDensity, gaussianLogDensityBackward } from './reference/gaussian_log_density.ts';
import { gaussianMlpLikelihood } from '../src/kernels/gaussian_mlp_likelihood.ts';

const test = gpuSuite('gaussian_mlp_likelihood');

const f32 = (a: ArrayLike<number>) => Float64Array.from(Float32Array.from(a));

for (const [B, D, floor] of [
  [3, 7, -13.5],
  [100, 784, -13.5],
  [5, 64, -1.5],
] as const) {
  test(`logp and dOut, B=${B} D=${D}, log σ² floored at ${floor}`, async ({ gpu }) => {
    // Row b: D mean logits in ±4, then D log-variances in [−4, 1].
    const out = f32(
      Array.from(seededUniform(B + D, B * 2 * D, 0, 1), (u, i) => (i % (2 * D) < D ? -4 + 8 * u : -4 + 5 * u)),
    );
    const x = f32(seededUniform(D, B * D, 0, 1));
    const scale = 1 / B;
    if (floor > -4 && !out.some((v, i) => i % (2 * D) >= D && v < floor))
      throw new Error('the floor clamps none of the log-variances');
    const logp = zeros(gpu, B);
    const dOut = zeros(gpu, B * 2 * D);
    const likelihood = gaussianMlpLikelihood(gpu, {
      B,
      D,
      scale,
      minLogVar: floor,
      out: { buffer: upload(gpu, out) },
      x: { buffer: upload(gpu, x) },
      logp: { buffer: logp },
      dOut: { buffer: dOut },
    });
    // Each term is up to e^4 · 1 in size with exp(−s) for s down to −4; float32 sums of D of them.
    assertClose(await runAndRead(gpu, [likelihood], logp, B), gaussianMlpLogLikelihood(out, x, B, D, floor), {
      atol: 2e-6 * D * 55,
      rtol: 1e-5,
      label: 'logp',
    });
    assertClose(
      await runAndRead(gpu, [], dOut, B * 2 * D),
      gaussianMlpLogLikelihoodBackward(out, x, B, D, floor, scale),
      { atol: 1e-6, rtol: 1e-4, label: 'dOut' },
    );
  });
}

test('a constant pixel asking for σ² → 0 gets the floor: log p stays finite and equals the reference', async ({
  gpu,
}) => {
  const [B, D, floor] = [2, 3, Math.fround(-13.5)];
  const x = [0, 0, 0, 1, 1, 1];
  const out = [-30, -30, -30, -1e30, -1e30, -1e30, 30, 30, 30, -1e30, -1e30, -1e30];
  const logp = zeros(gpu, B);
  const dOut = zeros(gpu, B * 2 * D);
  const likelihood = gaussianMlpLikelihood(gpu, {
    B,
    D,
    scale: 0.5,
    minLogVar: floor,
    out: { buffer: upload(gpu, out) },
    x: { buffer: upload(gpu, x) },
    logp: { buffer: logp },
    dOut: { buffer: dOut },
  });
  const got = await runAndRead(gpu, [likelihood], logp, B);
  // The mean misses by sigmoid(−30) ≈ 1e−13, so log p sits at −½ D (log 2π + floor) up to float32 rounding.
  assertClose(got, gaussianMlpLogLikelihood(out, x, B, D, floor), {
    atol: 1e-4,
    rtol: 1e-6,
    label: 'logp at the floor',
  });
  assertClose(got, [-0.5 * D * (Math.log(2 * Math.PI) + floor), -0.5 * D * (Math.log(2 * Math.PI) + floor)], {
    atol: 1e-4,
    rtol: 1e-6,
    label: 'the bound',
  });
  assertClose(
    (await runAndRead(gpu, [], dOut, B * 2 * D)).filter((_, i) => i % (2 * D) >= D),
    new Float64Array(B * D),
    { atol: 0, rtol: 0, label: 'no gradient below the floor' },
  );
});

test('with an identity mean (the sleep phase of wake-sleep): log N(z; μ, σ²) per row and ∂/∂[μ | log σ²]', async ({
  gpu,
}) => {
  const [B, Z] = [6, 5];
  const stats = f32(seededUniform(61, B * 2 * Z, -3, 2));
  const z = f32(seededUniform(62, B * Z, -2.5, 2.5));
  const logq = zeros(gpu, B);
  const dStats = zeros(gpu, B * 2 * Z);
  const kernel = gaussianMlpLikelihood(gpu, {
    B,
    D: Z,
    scale: 1 / B,
    minLogVar: -40,
    mean: 'identity',
    out: { buffer: upload(gpu, stats) },
    x: { buffer: upload(gpu, z) },
    logp: { buffer: logq },
    dOut: { buffer: dStats },
  });
  assertClose(await runAndRead(gpu, [kernel], logq, B), gaussianLogDensity(stats, z, B, Z), {
    atol: 1e-4,
    rtol: 1e-5,
    label: 'log q',
  });
  assertClose(await runAndRead(gpu, [], dStats, B * 2 * Z), gaussianLogDensityBackward(stats, z, B, Z, 1 / B), {
    atol: 1e-5,
    rtol: 1e-4,
    label: 'dStats',
  });
});

test('bad shapes are refused', ({ gpu }) => {
  const b = { buffer: zeros(gpu, 6) };
  throwsWith(
    () =>
      gaussianMlpLikelihood(gpu, {
        B: 2,
        D: 3,
        scale: 0.5,
        minLogVar: -10,
        out: b,
        x: b,
        logp: b,
        dOut: { buffer: zeros(gpu, 12) },
      }),
    ['gaussian_mlp_likelihood', 'out holds 6 floats, needs 12', 'B=2, D=3'],
  );
  throwsWith(
    () =>
      gaussianMlpLikelihood(gpu, {
        B: 2,
        D: 3,
        scale: 0.5,
        minLogVar: Number.NEGATIVE_INFINITY,
        out: { buffer: zeros(gpu, 12) },
        x: b,
        logp: b,
        dOut: { buffer: zeros(gpu, 12) },
      }),
    ['minLogVar must be finite'],
  );
});

test.run();
