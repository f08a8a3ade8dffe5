// The paper's Gaussian decoder through the whole model (Trainer, dataset ELBO, importance-sampled log p(x),
// pictures): the evaluation numbers equal the float64 reference with the same ε; decoder means are the
// sigmoid of the mean half of the decoder output; and on constant pixels, where the bound would grow without
// limit as σ² → 0, the floor on log σ² holds log p(x|z) under −½ D (log 2π + floor) with no NaN.
import * as assert from 'uvu/assert';
import { assertClose } from './assert_close.ts';
import { gpuSuite } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { vaeForward } from './reference/vae_step.ts';
import { logImportanceWeight, logMeanExp } from './reference/importance_weight.ts';
import { Trainer } from '../src/train/trainer.ts';
import { Vae } from '../src/vae/vae.ts';
import { architectureOf, DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../src/train/train_config.ts';
import { philoxNormals } from '../src/random/philox.ts';
import { RANDOM_STREAMS } from '../src/random/streams.ts';

const test = gpuSuite('gaussian_decoder');
const CONFIG: TrainConfig = {
  ...DEFAULT_TRAIN_CONFIG,
  D: 10,
  hidden: [7],
  latent: 3,
  activation: 'tanh',
  init: 'glorot',
  batch: 4,
  seed: 31,
  likelihood: 'gaussian',
  minLogVariance: -3,
};

const paramsOf = async (trainer: Trainer) =>
  Object.fromEntries((await trainer.snapshot()).tensors.map((t) => [t.name, Float64Array.from(t.data)]));

test('dataset ELBO and importance-sampled log p(x) (k = 4) equal the float64 reference; decode gives the mean half', async ({
  gpu,
}) => {
  const trainer = await Trainer.create(CONFIG, { gpu });
  try {
    const rows = 7;
    const data = Float32Array.from(seededUniform(5, rows * CONFIG.D));
    await trainer.trainOn([data.subarray(0, 4 * CONFIG.D), data.subarray(3 * CONFIG.D, 7 * CONFIG.D)]); // parameters away from the initial ones
    const params = await paramsOf(trainer);
    const arch = architectureOf(CONFIG);
    const result = await trainer.evaluate(data, { chunk: 4 });
    let elbo = 0;
    for (let c = 0, first = 0; first < rows; c++, first += 4) {
      const B = Math.min(4, rows - first);
      const eps = Float64Array.from(
        Float32Array.from(philoxNormals(CONFIG.seed, c, RANDOM_STREAMS.evaluationNoise, B * CONFIG.latent)),
      );
      elbo += B * vaeForward(arch, params, data.subarray(first * CONFIG.D, (first + B) * CONFIG.D), eps, B).elbo;
    }
    // ε on the GPU carries float32 log/cos/sin error (≤ 2.8e-3 by the WGSL spec, far less on lavapipe).
    assertClose([result.elbo], [elbo / rows], { atol: 1e-2, rtol: 1e-4, label: 'dataset ELBO' });

    const k = 4;
    const logPx = await trainer.logPx(data, { k, chunk: 4 });
    const expected: number[] = [];
    for (let c = 0, first = 0; first < rows; c++, first += 4) {
      const B = Math.min(4, rows - first);
      const x = data.subarray(first * CONFIG.D, (first + B) * CONFIG.D);
      const weights = [];
      for (let s = 0; s < k; s++) {
        const eps = Float64Array.from(
          Float32Array.from(philoxNormals(CONFIG.seed, c * k + s, RANDOM_STREAMS.importanceNoise, B * CONFIG.latent)),
        );
        const f = vaeForward(arch, params, x, eps, B);
        weights.push(logImportanceWeight(f.logpPerDatapoint, f.z, f.stats, B, CONFIG.latent));
      }
      expected.push(...logMeanExp(weights, B));
    }
    assertClose(logPx.perRow, expected, { atol: 1e-2, rtol: 1e-4, label: 'log p(x) per row' });

    const z = Float32Array.from(seededUniform(6, 2 * CONFIG.latent, -1, 1));
    const means = await trainer.model.decode(z);
    const reference = decodeMeans(params, z, CONFIG);
    assertClose(means, reference, { atol: 1e-5, rtol: 1e-5, label: 'decoder means' });
  } finally {
    trainer.destroy();
  }
});

/** sigmoid of the first D of the 2D decoder outputs (weight (H, 2D)), by hand from the parameters (tanh hidden layer). */
function decodeMeans(params: Record<string, Float64Array>, z: Float32Array, c: TrainConfig): Float64Array {
  const [H] = c.hidden;
  const { D, latent: Z } = c;
  const n = z.length / Z;
  const means = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    const h = Array.from({ length: H }, (_, j) =>
      Math.tanh(
        params['decoder.0.bias'][j] +
          Array.from({ length: Z }, (_, q) => z[i * Z + q] * params['decoder.0.weight'][q * H + j]).reduce(
            (a, v) => a + v,
            0,
          ),
      ),
    );
    for (let d = 0; d < D; d++) {
      const l =
        params['decoder.out.bias'][d] + h.reduce((a, v, j) => a + v * params['decoder.out.weight'][j * 2 * D + d], 0);
      means[i * D + d] = 1 / (1 + Math.exp(-l));
    }
  }
  return means;
}

test('constant pixels: the floor keeps log p(x|z) finite and under −½ D (log 2π + floor) while σ² is driven down', async ({
  gpu,
}) => {
  const config: TrainConfig = { ...CONFIG, lr: 0.05, minLogVariance: -6 };
  const trainer = await Trainer.create(config, { gpu });
  try {
    const rows = new Float32Array(config.batch * config.D).fill(0.25);
    await trainer.trainOn(Array.from({ length: 150 }, () => rows));
    const result = await trainer.evaluate(rows);
    const bound = -0.5 * config.D * (Math.log(2 * Math.PI) + config.minLogVariance!);
    assert.ok(
      Number.isFinite(result.elbo) && Number.isFinite(result.logp),
      `ELBO ${result.elbo}, log p ${result.logp}`,
    );
    assert.ok(result.logp <= bound + 1e-3, `log p(x|z) ${result.logp} exceeds the floor's bound ${bound}`);
    assert.ok(result.logp > bound - 5, `log p(x|z) ${result.logp}: σ² was not driven to the floor (bound ${bound})`);
  } finally {
    trainer.destroy();
  }
});

test("a checkpoint from when 'gaussian' meant per-pixel variances is refused with the new name", async ({ gpu }) => {
  const old = {
    config: { ...CONFIG, likelihood: 'gaussian-shared-variance' as const },
    tensors: [] as { name: string; shape: number[]; data: Float32Array }[],
  };
  const trainer = await Trainer.create(old.config, { gpu });
  try {
    old.tensors = (await trainer.snapshot()).tensors.filter((t) => !t.name.startsWith('optimizer.'));
  } finally {
    trainer.destroy();
  }
  let message = '';
  await Vae.fromCheckpoint(
    { config: { ...old.config, likelihood: 'gaussian' }, tensors: old.tensors },
    { gpu, source: 'old.safetensors' },
  ).then(
    (v) => v.destroy(),
    (e: Error) => (message = e.message),
  );
  assert.match(message, "old.safetensors holds a 'decoder.logvar' tensor");
  assert.match(message, "now 'gaussian-shared-variance'");
  (await Vae.fromCheckpoint(old, { gpu })).destroy(); // under its new name it loads
});

test.run();
