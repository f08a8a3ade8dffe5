// shaders/mc_kl.wgsl against test/reference/mc_kl.ts: the estimator-A KL per datapoint, and its gradient
// reassembled the way the step does it — forward adds scale·z into dz, the reparameterisation backward carries
// dz into (μ, log σ²), direct adds the −½·scale term — equals the reference total gradient.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededNormal, seededUniform } from './seeded_random.ts';
import { mcKlBackward, mcKlForward } from './reference/mc_kl.ts';
import { reparameterizeForward } from './reference/reparameterize.ts';
import { mcKl } from '../src/kernels/mc_kl.ts';
import { reparameterizeBackward } from '../src/kernels/reparameterize.ts';

const test = gpuSuite('mc_kl');

for (const [B, Z] of [
  [3, 2],
  [100, 20],
] as const) {
  test(`KL_A and its gradient through z and directly, B=${B} Z=${Z}`, async ({ gpu }) => {
    const stats = Float64Array.from(Float32Array.from(seededUniform(B + Z, B * 2 * Z, -2, 2)));
    const eps = Float64Array.from(Float32Array.from(seededNormal(B * Z, B * Z)));
    const z = reparameterizeForward(stats, eps, B, Z);
    const scale = 0.7 / B;
    const buffers = {
      z: upload(gpu, z),
      eps: upload(gpu, eps),
      stats: upload(gpu, stats),
      kl: zeros(gpu, B),
      dz: zeros(gpu, B * Z),
      dStats: zeros(gpu, B * 2 * Z),
    };
    const b = (buffer: GPUBuffer) => ({ buffer });
    const kernels = mcKl(gpu, {
      B,
      Z,
      scale,
      z: b(buffers.z),
      eps: b(buffers.eps),
      stats: b(buffers.stats),
      kl: b(buffers.kl),
      dz: b(buffers.dz),
      dStats: b(buffers.dStats),
    });
    const reparam = reparameterizeBackward(gpu, {
      B,
      Z,
      stats: b(buffers.stats),
      eps: b(buffers.eps),
      dz: b(buffers.dz),
      dStats: b(buffers.dStats),
    });
    const kl = await runAndRead(gpu, [kernels.forward, reparam, kernels.direct], buffers.kl, B);
    assertClose(kl, mcKlForward(stats, eps, B, Z), { atol: 1e-5 * Z, rtol: 1e-5, label: 'KL_A' });
    assertClose(await runAndRead(gpu, [], buffers.dStats, B * 2 * Z), mcKlBackward(stats, eps, B, Z, scale), {
      atol: 1e-6,
      rtol: 1e-5,
      label: 'scale·∂KL_A/∂stats',
    });
  });
}

test('bad shapes are refused', ({ gpu }) => {
  const x = { buffer: zeros(gpu, 8) };
  throwsWith(
    () => mcKl(gpu, { B: 2, Z: 2, scale: 1, z: x, eps: x, stats: { buffer: zeros(gpu, 7) }, kl: x, dz: x, dStats: x }),
    ['mc_kl', 'stats holds 7 floats, needs 8', 'B=2, Z=2'],
  );
});

test.run();
