// shaders/matmul.wgsl and shaders/matmul_lanes.wgsl (through src/kernels/matmul.ts) against the float64
// reference test/reference/matmul.ts: the plain product in all four transpose forms for every variant, a dense
// layer's forward with each activation, and both backward forms (on the device's variant, which AEVB_MATMUL
// forces), on shapes that do and do not divide the workgroup blocks (32×32, and 16×32 for lanes) or whole vec4s.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { matmul as referenceMatmul, denseForward as referenceDense } from './reference/matmul.ts';
import { activate, activationBackward } from './reference/activation.ts';
import { ACTIVATIONS } from '../src/kernels/activation.ts';
import { lanesSupported, MATMUL_VARIANTS, matmulVariantOf } from '../src/kernels/matmul_variant.ts';
import { matmul, denseForward, denseBackwardInput, denseBackwardWeight } from '../src/kernels/matmul.ts';

const test = gpuSuite('matmul');

// (M, K, N): tiny and odd, the B=3/D=7/H=5 of the issue, one not dividing anything, whole vec4s that divide no
// block (M and K tails of the lanes kernel: K = 68 ends on half a step of 8), a 784-500-20 model's shapes
// (M = B = 100, the layers 784-500, 500-40 and 20-500), and a dW shape with B = 3 (K tail below one step).
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [3, 7, 5],
  [33, 65, 17],
  [36, 68, 20],
  [100, 784, 500],
  [100, 500, 40],
  [100, 20, 500],
  [4, 3, 8],
];

// float32 accumulation over K terms of size ≤ 1: the error grows like K·2⁻²⁴ in the worst case.
const tolerance = (K: number) => ({ atol: 2e-7 * K + 1e-6, rtol: 1e-5 });

for (const variant of MATMUL_VARIANTS)
  for (const [M, K, N] of SHAPES) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        test(`${variant}: C = op(A)·op(B), M=${M} K=${K} N=${N} transposeA=${transposeA} transposeB=${transposeB}`, async ({
          gpu,
        }) => {
          const a = seededUniform(M * 31 + K, M * K, -1, 1);
          const b = seededUniform(N * 17 + K, K * N, -1, 1);
          const c = zeros(gpu, M * N);
          const spec = {
            M,
            N,
            K,
            a: { buffer: upload(gpu, a) },
            b: { buffer: upload(gpu, b) },
            c: { buffer: c },
            transposeA,
            transposeB,
            variant,
          };
          if (variant === 'lanes' && !lanesSupported(gpu.adapter)) {
            // Where a workgroup of 8 cannot be one subgroup (SwiftShader: 4), the variant is refused, never run.
            throwsWith(() => matmul(gpu, spec), ['lanes', 'subgroups of at least 8']);
            return;
          }
          const dispatch = matmul(gpu, spec);
          // The lanes kernel runs wherever the rows are whole vec4s; elsewhere its tail path is the register kernel.
          const quads = [transposeA ? M : K, transposeB ? K : N, N].every((n) => n % 4 === 0);
          const expectedStem = variant === 'lanes' && quads ? 'matmul_lanes:' : 'matmul:';
          if (!dispatch.pipeline.label.startsWith(expectedStem))
            throw new Error(`${variant} ran ${dispatch.pipeline.label}, expected ${expectedStem}…`);
          const actual = await runAndRead(gpu, [dispatch], c, M * N);
          assertClose(actual, referenceMatmul(a, b, M, K, N, { transposeA, transposeB }), {
            ...tolerance(K),
            label: dispatch.label,
          });
        });
      }
    }
  }

for (const [B, inputs, outputs] of SHAPES) {
  for (const activation of ACTIVATIONS) {
    test(`dense forward y = ${activation}(x·W + b), B=${B} in=${inputs} out=${outputs}`, async ({ gpu }) => {
      const x = seededUniform(1, B * inputs, -1, 1);
      const w = seededUniform(2, inputs * outputs, -0.5, 0.5);
      const bias = seededUniform(3, outputs, -2, 2);
      const y = zeros(gpu, B * outputs);
      const dispatch = denseForward(gpu, {
        B,
        inputs,
        outputs,
        activation,
        x: { buffer: upload(gpu, x) },
        weight: { buffer: upload(gpu, w) },
        bias: { buffer: upload(gpu, bias) },
        y: { buffer: y },
      });
      const actual = await runAndRead(gpu, [dispatch], y, B * outputs);
      assertClose(actual, referenceDense(x, w, bias, B, inputs, outputs, activation).y, {
        ...tolerance(inputs),
        label: `${activation} forward`,
      });
    });

    test(`dense backward input dX = (dPre·Wᵀ) ⊙ ${activation}'(x), B=${B} in=${inputs} out=${outputs}`, async ({
      gpu,
    }) => {
      // x is the output of the previous layer's activation; the kernel differentiates it through x itself.
      const xPre = seededUniform(4, B * inputs, -2, 2);
      const x = activate(xPre, activation);
      const w = seededUniform(5, inputs * outputs, -0.5, 0.5);
      const dPre = seededUniform(6, B * outputs, -1, 1);
      const dx = zeros(gpu, B * inputs);
      const dispatch = denseBackwardInput(gpu, {
        B,
        inputs,
        outputs,
        inputActivation: activation,
        dPre: { buffer: upload(gpu, dPre) },
        weight: { buffer: upload(gpu, w) },
        x: { buffer: upload(gpu, x) },
        dx: { buffer: dx },
      });
      const actual = await runAndRead(gpu, [dispatch], dx, B * inputs);
      const dxBeforeActivation = referenceMatmul(dPre, w, B, outputs, inputs, { transposeB: true });
      assertClose(actual, activationBackward(xPre, dxBeforeActivation, activation), {
        ...tolerance(outputs),
        label: `${activation} backward input`,
      });
    });
  }

  test(`dense backward weight dW = xᵀ·dPre, B=${B} in=${inputs} out=${outputs}`, async ({ gpu }) => {
    const x = seededUniform(7, B * inputs, -1, 1);
    const dPre = seededUniform(8, B * outputs, -1, 1);
    const dw = zeros(gpu, inputs * outputs);
    const dispatch = denseBackwardWeight(gpu, {
      B,
      inputs,
      outputs,
      x: { buffer: upload(gpu, x) },
      dPre: { buffer: upload(gpu, dPre) },
      dWeight: { buffer: dw },
    });
    const actual = await runAndRead(gpu, [dispatch], dw, inputs * outputs);
    assertClose(actual, referenceMatmul(x, dPre, inputs, B, outputs, { transposeA: true }), {
      ...tolerance(B),
      label: 'backward weight',
    });
  });
}

test('the device variant is the forced one (AEVB_MATMUL) or a known default', ({ gpu }) => {
  const variant = matmulVariantOf(gpu);
  // In a browser page (demo/kernel_tests.ts) there is no process and no forced variant.
  const forced = typeof process === 'undefined' ? undefined : process.env.AEVB_MATMUL;
  if (forced ? variant !== forced : !(MATMUL_VARIANTS as readonly string[]).includes(variant))
    throw new Error(`variant ${variant}, AEVB_MATMUL=${forced}`);
});

test('bad shapes and short buffers are refused with the kernel and the shapes in the message', ({ gpu }) => {
  const small = { buffer: zeros(gpu, 6) };
  throwsWith(
    () => matmul(gpu, { M: 0, N: 2, K: 3, a: small, b: small, c: { buffer: zeros(gpu, 6) } }),
    ['matmul', 'M', 'M=0, N=2, K=3'],
  );
  throwsWith(
    () => matmul(gpu, { M: 2.5, N: 2, K: 3, a: small, b: small, c: { buffer: zeros(gpu, 6) } }),
    ['matmul', 'M=2.5'],
  );
  throwsWith(
    () => matmul(gpu, { M: 4, N: 2, K: 3, a: small, b: small, c: { buffer: zeros(gpu, 8) } }),
    ['matmul', 'A holds 6 floats, needs 12', 'M=4, N=2, K=3'],
  );
  throwsWith(
    () =>
      denseForward(
        gpu,
        {
          B: 2,
          inputs: 3,
          outputs: 2,
          activation: 'tanh',
          x: small,
          weight: small,
          bias: { buffer: zeros(gpu, 1) },
          y: { buffer: zeros(gpu, 4) },
        },
        'encoder.0',
      ),
    ['encoder.0', 'bias holds 1 floats, needs 2'],
  );
  const nine = { buffer: zeros(gpu, 9) };
  throwsWith(
    () => matmul(gpu, { M: 3, N: 3, K: 3, a: nine, b: { buffer: zeros(gpu, 9) }, c: nine }),
    ['matmul', 'must not share a buffer'],
  );
});

test.run();
