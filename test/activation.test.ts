// The activation id table (src/kernels/activation.ts: an activation's id is its position in ACTIVATIONS) against
// what the GPU computes for that id: each activation by NAME is run through a 1×1 dense layer (forward, and the
// backward's activation-gradient epilogue) and compared with the float64 reference of that name. The WGSL
// side numbers its ACT_* cases by hand; nothing is parsed, so a table and a shader that disagree fail here.
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, upload, zeros } from './gpu_suite.ts';
import { ACTIVATIONS as REFERENCE_ACTIVATIONS, activate, activationBackward } from './reference/activation.ts';
import { ACTIVATIONS, activationId } from '../src/kernels/activation.ts';
import { denseBackwardInput, denseForward } from '../src/kernels/matmul.ts';

const test = gpuSuite('activation ids');

// Points where every pair of activations differs (relu and identity split at x < 0, softplus and relu near 0).
const PRE = [-3, -1.25, -0.5, 0.25, 0.75, 2.5];
const B = PRE.length;

test('the table names exactly the reference activations', () => {
  const names = (list: readonly string[]) => [...list].sort().join(', ');
  if (names(ACTIVATIONS) !== names(REFERENCE_ACTIVATIONS)) {
    throw new Error(
      `src/kernels/activation.ts lists ${names(ACTIVATIONS)}; the reference knows ${names(REFERENCE_ACTIVATIONS)}`,
    );
  }
});

for (const activation of ACTIVATIONS) {
  test(`id ${activationId(activation)} computes ${activation} (forward and backward)`, async ({ gpu }) => {
    const one = upload(gpu, [1]);
    const zero = upload(gpu, [0]);
    const y = zeros(gpu, B);
    const forward = denseForward(gpu, {
      B,
      inputs: 1,
      outputs: 1,
      activation,
      x: { buffer: upload(gpu, PRE) },
      weight: { buffer: one },
      bias: { buffer: zero },
      y: { buffer: y },
    });
    const output = await runAndRead(gpu, [forward], y, B);
    const expected = activate(PRE, activation);
    assertClose(output, expected, {
      atol: 1e-6,
      rtol: 1e-5,
      label: `activation '${activation}' (id ${activationId(activation)}) forward`,
    });

    // dx = (dPre · 1) ⊙ act'(x), the derivative taken from the activation's output as the backward pass does.
    const dPre = [0.5, -1, 2, -0.25, 1, 0.75];
    const dx = zeros(gpu, B);
    const backward = denseBackwardInput(gpu, {
      B,
      inputs: 1,
      outputs: 1,
      inputActivation: activation,
      dPre: { buffer: upload(gpu, dPre) },
      weight: { buffer: one },
      x: { buffer: upload(gpu, expected) },
      dx: { buffer: dx },
    });
    const gradient = await runAndRead(gpu, [backward], dx, B);
    assertClose(gradient, activationBackward(PRE, dPre, activation), {
      atol: 1e-6,
      rtol: 1e-5,
      label: `activation '${activation}' (id ${activationId(activation)}) backward`,
    });
  });
}

test.run();
