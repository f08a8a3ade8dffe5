// The whole SGVB step (src/train/sgvb_step.ts: every kernel in one submission) against the float64 reference
// step test/reference/vae_step.ts followed by the reference optimizer: from a fixed initialisation and fixed ε,
// the metrics, every gradient and the parameters after one step match, for each optimizer.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead } from './gpu_suite.ts';
import { seededNormal, seededUniform } from './seeded_random.ts';
import { vaeLossAndGradients, vaeParameterShapes } from './reference/vae_step.ts';
import { sgdUpdate as referenceSgd } from './reference/sgd_update.ts';
import { adagradUpdate as referenceAdagrad } from './reference/adagrad_update.ts';
import { adamUpdate as referenceAdam } from './reference/adam_update.ts';
import { SgvbStep } from '../src/train/sgvb_step.ts';
import { Vae } from '../src/vae/vae.ts';
import { DEFAULT_OPTIMIZERS, type OptimizerConfig } from '../src/train/optimizer_config.ts';
import { DEFAULT_TRAIN_CONFIG, klWeightOf } from '../src/train/train_config.ts';
import { parameterLayout, type ParameterLayout } from '../src/model/parameter_layout.ts';
import { ELBO_METRICS } from '../src/kernels/elbo_mean.ts';
import type { VaeArchitecture } from '../src/model/vae_architecture.ts';
import type { GpuContext } from '../src/gpu/device.ts';

const test = gpuSuite('sgvb_step');

const MODELS: Array<{ arch: VaeArchitecture; B: number }> = [
  { arch: { D: 7, hidden: [5], Z: 2, activation: 'tanh' }, B: 3 },
  { arch: { D: 9, hidden: [6, 4], Z: 3, activation: 'softplus' }, B: 5 },
  { arch: { D: 784, hidden: [500], Z: 20, activation: 'relu' }, B: 100 },
  { arch: { D: 9, hidden: [6], Z: 3, activation: 'tanh', likelihood: 'gaussian' }, B: 4 },
  { arch: { D: 9, hidden: [6, 5], Z: 3, activation: 'softplus', likelihood: 'gaussian', minLogVariance: -0.5 }, B: 4 }, // a floor that binds
  {
    arch: {
      D: 9,
      hidden: [6],
      Z: 3,
      activation: 'tanh',
      likelihood: 'gaussian-shared-variance',
      minLogVariance: -0.05,
    },
    B: 4,
  },
];

test('the parameter layout names the same tensors, shapes and order as the reference', () => {
  for (const { arch } of MODELS) {
    const layout = parameterLayout(arch);
    const ours = layout.entries.map((e) => `${e.name}:${e.shape.join('x')}`);
    const theirs = vaeParameterShapes(arch).map((e) => `${e.name}:${e.shape.join('x')}`);
    if (ours.join() !== theirs.join()) throw new Error(`layout ${ours} vs reference ${theirs}`);
    for (const e of layout.entries)
      if ((e.offset * 4) % 256 !== 0) throw new Error(`${e.name} at float ${e.offset} is not 256-byte aligned`);
  }
});

/** Data for `arch`: grey levels in [0, 1] for a Gaussian decoder, else binary pixels (1 with probability p). */
function dataFor(arch: VaeArchitecture, seed: number, n: number, p: number): Float64Array {
  const u = seededUniform(seed, n);
  return arch.likelihood === undefined || arch.likelihood === 'bernoulli' ? u.map((v) => (v < p ? 1 : 0)) : f32(u);
}

/** The reference runs on the float32-rounded inputs the GPU saw. */
const f32 = (a: ArrayLike<number>) => Float64Array.from(Float32Array.from(a));

/** A model of `arch` on the suite's device; each test writes its own parameters over the initial ones. */
function modelOf(gpu: GpuContext, arch: VaeArchitecture): Promise<Vae> {
  return Vae.create(
    {
      D: arch.D,
      hidden: arch.hidden,
      latent: arch.Z,
      activation: arch.activation,
      likelihood: arch.likelihood,
      minLogVariance: arch.minLogVariance,
      init: 'glorot',
      seed: 1,
    },
    { gpu },
  );
}

/** Writes parameters and ε into a fixed-noise step and submits it on the minibatch x. */
function runStep(
  gpu: GpuContext,
  step: SgvbStep,
  params: Float64Array,
  x: ArrayLike<number>,
  eps: ArrayLike<number>,
): void {
  gpu.device.queue.writeBuffer(step.model.params, 0, Float32Array.from(params));
  gpu.device.queue.writeBuffer(step.forward.eps, 0, Float32Array.from(eps));
  step.submit(Float32Array.from(x));
}

/**
 * Checks every tensor's gradient, each held to 1e-5 of its largest entry (float32 sums over B and layer
 * widths); returns the per-float tolerances used.
 */
function checkGradients(
  grads: Float32Array,
  expected: Record<string, Float64Array>,
  layout: ParameterLayout,
  label: string,
): Float64Array {
  const tolerance = new Float64Array(layout.P);
  for (const e of layout.entries) {
    const scale = expected[e.name].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const atol = 1e-5 * scale + 1e-7;
    tolerance.fill(atol, e.offset, e.offset + e.size);
    assertClose(grads.subarray(e.offset, e.offset + e.size), expected[e.name], {
      atol,
      rtol: 1e-4,
      label: `${label} ∂loss/∂${e.name}`,
    });
  }
  return tolerance;
}

function initialParameters(layout: ParameterLayout): Float64Array {
  const flat = new Float64Array(layout.P);
  layout.entries.forEach((e, i) => {
    const fanIn = e.shape.length === 2 ? e.shape[0] : 1;
    flat.set(
      seededNormal(100 + i, e.size, 1 / Math.sqrt(fanIn)).map((v) => (e.shape.length === 2 ? v : 0.1 * v)),
      e.offset,
    );
  });
  return flat;
}

function byName(layout: ParameterLayout, flat: ArrayLike<number>): Record<string, Float64Array> {
  return Object.fromEntries(
    layout.entries.map((e) => [
      e.name,
      Float64Array.from(Array.prototype.slice.call(flat, e.offset, e.offset + e.size)),
    ]),
  );
}

function flatten(layout: ParameterLayout, tensors: Record<string, Float64Array>): Float64Array {
  const flat = new Float64Array(layout.P);
  for (const e of layout.entries) flat.set(tensors[e.name], e.offset);
  return flat;
}

function referenceOptimizerStep(config: OptimizerConfig, params: Float64Array, grads: Float64Array): void {
  switch (config.kind) {
    case 'sgd':
      return referenceSgd(params, grads, config);
    case 'adagrad':
      return referenceAdagrad(params, grads, new Float64Array(params.length), config);
    case 'adam':
      return referenceAdam(params, grads, new Float64Array(params.length), new Float64Array(params.length), {
        ...config,
        step: 1,
      });
  }
}

for (const { arch, B } of MODELS) {
  for (const kind of ['sgd', 'adagrad', 'adam'] as const) {
    const optimizer: OptimizerConfig = { ...DEFAULT_OPTIMIZERS[kind], weightDecay: 0.001 };
    test(`one step, ${kind}, D=${arch.D} hidden=[${arch.hidden}] Z=${arch.Z} ${arch.activation} B=${B}`, async ({
      gpu,
    }) => {
      const model = await modelOf(gpu, arch);
      const step = new SgvbStep(model, { B, optimizer, seed: 1, noise: 'fixed' });
      try {
        const layout = model.layout;
        const params = initialParameters(layout);
        const x = dataFor(arch, 7, B * arch.D, 0.3);
        const eps = seededNormal(8, B * arch.Z);
        runStep(gpu, step, params, x, eps);
        const expected = vaeLossAndGradients(arch, byName(layout, f32(params)), x, f32(eps), B);
        const metrics = await runAndRead(gpu, [], step.metrics, ELBO_METRICS.count);
        assertClose(
          [metrics[ELBO_METRICS.elbo], metrics[ELBO_METRICS.kl], metrics[ELBO_METRICS.logp]],
          [expected.elbo, expected.kl, expected.logp],
          { atol: 1e-4, rtol: 1e-5, label: 'metrics [elbo, kl, logp]' },
        );
        const expectedGrads = flatten(layout, expected.grads);
        const grads = await runAndRead(gpu, [], step.grads, layout.P);
        const gradientTolerance = checkGradients(grads, expected.grads, layout, kind);
        const after = await runAndRead(gpu, [], model.params, layout.P);
        // (a) The update applied to the gradients the GPU computed: the optimizer and its wiring, exactly.
        const fromOurGradients = f32(params);
        referenceOptimizerStep(optimizer, fromOurGradients, Float64Array.from(grads));
        assertClose(after, fromOurGradients, {
          atol: 1e-6,
          rtol: 1e-5,
          label: `params after one ${kind} step (from the GPU's gradients)`,
        });
        // (b) The whole step against float64 end to end. SGD's update is linear in g, so the gradient tolerance
        // carries over. Adagrad's and Adam's first update is lr·g/(|g| + eps), a step function of g near 0: a
        // gradient within float32 noise of 0 may move by anything up to lr, so for them (a) plus the gradient
        // check above is the test, and here only the parameters whose decayed gradient g + λθ is at least ten
        // gradient tolerances away from 0 are held (weight decay can cancel g down into the noise).
        const endToEnd = f32(params);
        const before = f32(params);
        referenceOptimizerStep(optimizer, endToEnd, expectedGrads);
        const clear = (i: number) =>
          optimizer.kind === 'sgd' ||
          Math.abs(expectedGrads[i] + optimizer.weightDecay * before[i]) > 10 * gradientTolerance[i];
        const kept = [...endToEnd.keys()].filter(clear);
        assertClose(
          kept.map((i) => after[i]),
          kept.map((i) => endToEnd[i]),
          { atol: 1e-6, rtol: 1e-5, label: `params after one ${kind} step (float64 end to end)` },
        );
      } finally {
        step.destroy();
        model.destroy();
      }
    });
  }
}

for (const [beta, estimator, likelihood] of [
  [0.3, 'B', 'bernoulli'],
  [1, 'A', 'bernoulli'],
  [0.5, 'A', 'bernoulli'],
  [1, 'A', 'gaussian'],
  [1, 'A', 'gaussian-shared-variance'],
] as const)
  test(`a step with estimator ${estimator} and β = ${beta} on the KL, ${likelihood} decoder, has the reference gradients`, async ({
    gpu,
  }) => {
    const arch: VaeArchitecture = { D: 7, hidden: [5], Z: 2, activation: 'tanh', likelihood };
    const B = 3;
    const model = await modelOf(gpu, arch);
    const step = new SgvbStep(model, {
      B,
      optimizer: DEFAULT_OPTIMIZERS.sgd,
      seed: 1,
      noise: 'fixed',
      klWeight: (t) => (t === 1 ? beta : 1),
      estimator,
    });
    try {
      const params = initialParameters(model.layout);
      const x = dataFor(arch, 9, B * arch.D, 0.5);
      const eps = seededNormal(10, B * arch.Z);
      runStep(gpu, step, params, x, eps);
      const expected = vaeLossAndGradients(arch, byName(model.layout, f32(params)), x, f32(eps), B, beta, estimator);
      const metrics = await runAndRead(gpu, [], step.metrics, ELBO_METRICS.count);
      assertClose([metrics[ELBO_METRICS.elbo], metrics[ELBO_METRICS.kl]], [expected.elbo, expected.kl], {
        atol: 1e-4,
        rtol: 1e-5,
        label: `estimator ${estimator} [elbo, kl]`,
      });
      checkGradients(
        await runAndRead(gpu, [], step.grads, model.layout.P),
        expected.grads,
        model.layout,
        `${estimator}, β=${beta}:`,
      );
    } finally {
      step.destroy();
      model.destroy();
    }
  });

for (const likelihood of ['bernoulli', 'gaussian', 'gaussian-shared-variance'] as const)
  test(`a step on the IWAE objective (k = 3), ${likelihood} decoder, has the reference gradients`, async ({ gpu }) => {
    const arch: VaeArchitecture = { D: 7, hidden: [5], Z: 2, activation: 'tanh', likelihood };
    const [points, k] = [2, 3];
    const B = points * k;
    const model = await modelOf(gpu, arch);
    const step = new SgvbStep(model, { B, optimizer: DEFAULT_OPTIMIZERS.sgd, seed: 1, noise: 'fixed', iwaeSamples: k });
    try {
      const params = initialParameters(model.layout);
      // Each datapoint's row repeated k times, as the trainer lays L samples per point out.
      const xPoints = dataFor(arch, 19, points * arch.D, 0.5);
      const x = Float64Array.from(
        { length: B * arch.D },
        (_, i) => xPoints[Math.floor(i / (k * arch.D)) * arch.D + (i % arch.D)],
      );
      const eps = seededNormal(20, B * arch.Z);
      runStep(gpu, step, params, x, eps);
      const expected = vaeLossAndGradients(arch, byName(model.layout, f32(params)), x, f32(eps), B, 1, 'A', k);
      checkGradients(
        await runAndRead(gpu, [], step.grads, model.layout.P),
        expected.grads,
        model.layout,
        `IWAE k=3, ${likelihood}:`,
      );
    } finally {
      step.destroy();
      model.destroy();
    }
  });

test('the KL warm-up ramps β linearly to its value, then holds it', () => {
  const weight = klWeightOf({ ...DEFAULT_TRAIN_CONFIG, beta: 0.5, klWarmup: 4 });
  const ramp = [1, 2, 3, 4, 5, 100].map(weight);
  if (ramp.join() !== [0.125, 0.25, 0.375, 0.5, 0.5, 0.5].join()) throw new Error(`ramp ${ramp}`);
  if (klWeightOf(DEFAULT_TRAIN_CONFIG)(1) !== 1) throw new Error('no warm-up: β = 1 from the first step');
});

test.run();
