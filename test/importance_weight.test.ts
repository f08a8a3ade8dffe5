// shaders/importance_weight.wgsl against test/reference/importance_weight.ts: k samples folded one at a time
// into a running log-sum-exp give the float64 log-mean-exp of the log weights, also when the weights are far
// below exp's range (log p(x|z) ≈ −600) and spread over hundreds of nats.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededNormal, seededUniform } from './seeded_random.ts';
import { logImportanceWeight, logMeanExp } from './reference/importance_weight.ts';
import { importanceWeight } from '../src/kernels/importance_weight.ts';
import { submitDispatches } from '../src/kernels/kernel.ts';

const test = gpuSuite('importance_weight');

for (const [B, Z, k, centre, spread] of [
  [3, 2, 1, -5, 1],
  [7, 5, 20, -600, 300],
  [70, 20, 64, -100, 20],
] as const) {
  test(`log p(x) from k=${k} samples, B=${B} Z=${Z}, log p(x|z) around ${centre} ± ${spread}`, async ({ gpu }) => {
    const stats = seededUniform(B + Z, B * 2 * Z, -2, 2);
    const buffers = {
      logp: zeros(gpu, B),
      z: zeros(gpu, B * Z),
      eps: zeros(gpu, B * Z),
      stats: upload(gpu, stats),
      state: zeros(gpu, B * 2),
      logPx: zeros(gpu, B),
    };
    const bind = (buffer: GPUBuffer) => ({ buffer });
    const kernels = importanceWeight(gpu, {
      B,
      Z,
      k,
      logp: bind(buffers.logp),
      z: bind(buffers.z),
      eps: bind(buffers.eps),
      stats: bind(buffers.stats),
      state: bind(buffers.state),
      logPx: bind(buffers.logPx),
    });
    const weights: Float64Array[] = [];
    for (let s = 0; s < k; s++) {
      const eps = Float64Array.from(Float32Array.from(seededNormal(1000 + s, B * Z)));
      const z = new Float64Array(B * Z);
      for (let b = 0; b < B; b++)
        for (let j = 0; j < Z; j++) {
          z[b * Z + j] = stats[b * 2 * Z + j] + Math.exp(0.5 * stats[b * 2 * Z + Z + j]) * eps[b * Z + j];
        }
      const z32 = Float64Array.from(Float32Array.from(z));
      const logp = Float64Array.from(Float32Array.from(seededUniform(2000 + s, B, centre - spread, centre + spread)));
      gpu.device.queue.writeBuffer(buffers.logp, 0, Float32Array.from(logp));
      gpu.device.queue.writeBuffer(buffers.z, 0, Float32Array.from(z32));
      gpu.device.queue.writeBuffer(buffers.eps, 0, Float32Array.from(eps));
      submitDispatches(gpu, [s === 0 ? kernels.first : kernels.next]);
      weights.push(logImportanceWeight(logp, z32, Float64Array.from(Float32Array.from(stats)), B, Z));
    }
    const actual = await runAndRead(gpu, [kernels.finish], buffers.logPx, B);
    // float32 sums of Z terms next to a weight of size |centre| + spread.
    assertClose(actual, logMeanExp(weights, B), {
      atol: 1e-6 * (Math.abs(centre) + spread) + 1e-4,
      rtol: 1e-5,
      label: 'log p(x)',
    });
  });
}

test('bad shapes are refused', ({ gpu }) => {
  const b = { buffer: zeros(gpu, 8) };
  throwsWith(
    () => importanceWeight(gpu, { B: 4, Z: 2, k: 0, logp: b, z: b, eps: b, stats: b, state: b, logPx: b }),
    ['importance_weight', 'k must be a positive integer', 'k=0'],
  );
  throwsWith(
    () =>
      importanceWeight(gpu, {
        B: 4,
        Z: 2,
        k: 5,
        logp: b,
        z: b,
        eps: b,
        stats: { buffer: zeros(gpu, 15) },
        state: b,
        logPx: b,
      }),
    ['importance_weight', 'stats holds 15 floats, needs 16'],
  );
});

test.run();
