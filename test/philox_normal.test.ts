// shaders/philox_normal.wgsl against the CPU Philox of src/random/philox.ts (itself checked against
// Random123's known-answer vectors in test/philox.test.ts): the same normals for the same (seed, step, stream).
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, zeros } from './gpu_suite.ts';
import { philoxNormalReference as philoxNormals } from './reference/philox_normal.ts';
import { philoxNormal } from '../src/kernels/philox_normal.ts';

const test = gpuSuite('philox_normal');

// u is bit-identical on both sides; what differs is the GPU's float32 log/cos/sin. WGSL promises cos/sin only
// to 2⁻¹¹ absolute on [−π, π] (SwiftShader uses that latitude; lavapipe is ~100× tighter), and the radius
// √(−2 ln u) is at most √(2·23·ln 2) ≈ 5.65, so a normal may be off by 5.65·2⁻¹¹ ≈ 2.8e-3 on a conforming
// adapter. A wrong Philox word or a wrong element mapping shows up as an O(1) difference, far above that.
const TOLERANCE = { atol: 5.65 * 2 ** -11, rtol: 1e-5 };

for (const [n, seed, step, stream] of [
  [1, 0, 0, 0],
  [7, 1, 3, 0],
  [2000, 123456789, 41, 0],
  [2003, 2 ** 40 + 17, 0xfffffffe, 5],
] as const) {
  test(`n=${n} seed=${seed} step=${step} stream=${stream}`, async ({ gpu }) => {
    const out = zeros(gpu, n);
    const kernel = philoxNormal(gpu, { n, seed, stream, out: { buffer: out } });
    kernel.setStep(step);
    assertClose(await runAndRead(gpu, [kernel.dispatch], out, n), philoxNormals(seed, step, stream, n), {
      ...TOLERANCE,
      label: 'philox_normal',
    });
  });
}

test('setStep changes the numbers between submissions, and a step replays exactly', async ({ gpu }) => {
  const n = 64;
  const out = zeros(gpu, n);
  const kernel = philoxNormal(gpu, { n, seed: 7, stream: 0, out: { buffer: out } });
  const draws: Float32Array[] = [];
  for (const step of [1, 2, 1]) {
    kernel.setStep(step);
    draws.push(await runAndRead(gpu, [kernel.dispatch], out, n));
  }
  assertClose(draws[0], philoxNormals(7, 1, 0, n), { ...TOLERANCE, label: 'step 1' });
  assertClose(draws[1], philoxNormals(7, 2, 0, n), { ...TOLERANCE, label: 'step 2' });
  if (!draws[0].every((v, i) => v === draws[2][i])) throw new Error('step 1 drawn twice gave different bits');
});

test('bad sizes and seeds are refused', ({ gpu }) => {
  throwsWith(
    () => philoxNormal(gpu, { n: 9, seed: 1, stream: 0, out: { buffer: zeros(gpu, 8) } }),
    ['philox_normal', 'out holds 8 floats, needs 9', 'n=9'],
  );
  throwsWith(() => philoxNormal(gpu, { n: 8, seed: -1, stream: 0, out: { buffer: zeros(gpu, 8) } }), ['seed']);
});

test.run();
