// shaders/conv2d.wgsl and shaders/conv2d_weight.wgsl (through src/kernels/conv2d.ts) against the float64
// reference test/reference/conv2d.ts: the forward with each activation, the input gradient with each input
// activation's derivative, and the filter gradient, of nn.Conv2d and nn.ConvTranspose2d layers — the PyTorch
// peer's conv VAE at B = 100 (1→32 28×28 → 14×14, 32→64 → 7×7, and the transposed mirror 64→32, 32→1; k 4,
// s 2, p 1) and odd shapes whose channels, pixels and borders divide no block (k 3 s 1 p 0/1, k 5 s 2 p 2,
// k 2 s 3, H ≠ W, B = 1).
import { assertClose } from './assert_close.ts';
import { gpuSuite, runAndRead, throwsWith, upload, zeros } from './gpu_suite.ts';
import { seededUniform } from './seeded_random.ts';
import { activate, activationBackward } from './reference/activation.ts';
import {
  conv2dBackwardRef,
  conv2dForwardRef,
  convTranspose2dBackwardRef,
  convTranspose2dForwardRef,
} from './reference/conv2d.ts';
import { ACTIVATIONS, type Activation } from '../src/kernels/activation.ts';
import { CONV2D_VARIANTS, type Conv2dVariant } from '../src/kernels/conv2d_variant.ts';
import { lanesSupported } from '../src/kernels/matmul_variant.ts';
import {
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dOutputSize,
  convTranspose2dBackwardInput,
  convTranspose2dBackwardWeight,
  convTranspose2dForward,
  convTranspose2dOutputSize,
  type Conv2dShape,
} from '../src/kernels/conv2d.ts';

const test = gpuSuite('conv2d');

const LAYERS = {
  conv2d: {
    forward: conv2dForward,
    backwardInput: conv2dBackwardInput,
    backwardWeight: conv2dBackwardWeight,
    forwardRef: conv2dForwardRef,
    backwardRef: conv2dBackwardRef,
    outputSize: conv2dOutputSize,
  },
  conv_transpose2d: {
    forward: convTranspose2dForward,
    backwardInput: convTranspose2dBackwardInput,
    backwardWeight: convTranspose2dBackwardWeight,
    forwardRef: convTranspose2dForwardRef,
    backwardRef: convTranspose2dBackwardRef,
    outputSize: convTranspose2dOutputSize,
  },
} as const;
type Kind = keyof typeof LAYERS;

const peer = (inChannels: number, size: number, outChannels: number): Conv2dShape => ({
  B: 100,
  inChannels,
  inHeight: size,
  inWidth: size,
  outChannels,
  kernel: 4,
  stride: 2,
  padding: 1,
});

// The peer's layers, each in the direction its model uses, with the activation it applies (relu inside,
// identity on the decoder's logits).
const PEER: Array<[Kind, Conv2dShape, Activation]> = [
  ['conv2d', peer(1, 28, 32), 'relu'],
  ['conv2d', peer(32, 14, 64), 'relu'],
  ['conv_transpose2d', peer(64, 7, 32), 'relu'],
  ['conv_transpose2d', peer(32, 14, 1), 'identity'],
];

const ODD: Conv2dShape[] = [
  { B: 1, inChannels: 3, inHeight: 7, inWidth: 6, outChannels: 5, kernel: 3, stride: 1, padding: 0 },
  { B: 3, inChannels: 6, inHeight: 9, inWidth: 8, outChannels: 7, kernel: 5, stride: 2, padding: 2 },
  { B: 1, inChannels: 2, inHeight: 8, inWidth: 5, outChannels: 9, kernel: 2, stride: 3, padding: 0 },
  { B: 2, inChannels: 20, inHeight: 5, inWidth: 7, outChannels: 37, kernel: 3, stride: 2, padding: 1 },
  // The lanes kernels' special paths: kernel 4, where the correlation reads kernel rows as vec4s
  // (KERNEL_ROW_VEC4), and strides that divide the kernel, where the transposed form's residues take the same
  // taps (STRIDE_DIVIDES_KERNEL): strides 1, 4 and 3 (kernels 4, 4 and 6), and kernel 4 at stride 3 (neither in
  // the transposed form).
  { B: 2, inChannels: 9, inHeight: 6, inWidth: 5, outChannels: 11, kernel: 4, stride: 1, padding: 2 },
  { B: 2, inChannels: 8, inHeight: 9, inWidth: 10, outChannels: 16, kernel: 4, stride: 4, padding: 1 },
  { B: 2, inChannels: 10, inHeight: 5, inWidth: 6, outChannels: 9, kernel: 6, stride: 3, padding: 2 },
  { B: 1, inChannels: 5, inHeight: 8, inWidth: 8, outChannels: 12, kernel: 4, stride: 3, padding: 1 },
];

const describe = (s: Conv2dShape) =>
  `B=${s.B} ${s.inChannels}→${s.outChannels} ${s.inHeight}×${s.inWidth} k${s.kernel} s${s.stride} p${s.padding}`;

// float32 sums of `terms` products of size ≤ 1, as test/matmul.test.ts: the error grows like terms·2⁻²⁴ at worst.
const tolerance = (terms: number) => ({ atol: 2e-7 * terms + 1e-6, rtol: 1e-5 });

function sizes(kind: Kind, s: Conv2dShape) {
  const OH = LAYERS[kind].outputSize(s.inHeight, s.kernel, s.stride, s.padding);
  const OW = LAYERS[kind].outputSize(s.inWidth, s.kernel, s.stride, s.padding);
  const xs = s.B * s.inChannels * s.inHeight * s.inWidth;
  return { OH, OW, xs, ys: s.B * s.outChannels * OH * OW, ws: s.inChannels * s.outChannels * s.kernel ** 2 };
}

/** Products summed per output of each pass: the forward's, the input gradient's and the filter gradient's. */
function terms(kind: Kind, s: Conv2dShape, OH: number, OW: number) {
  const k2 = s.kernel ** 2;
  const fromInput = s.inChannels * k2;
  const fromOutput = s.outChannels * k2;
  const positions = s.B * (kind === 'conv2d' ? OH * OW : s.inHeight * s.inWidth);
  return kind === 'conv2d'
    ? { forward: fromInput, input: fromOutput, weight: positions }
    : { forward: fromInput, input: fromOutput, weight: positions };
}

type Gpu = Parameters<typeof conv2dForward>[0];

/**
 * Every pass ran the variant asked for: its pipelines are the variant's shaders (labels start with the stem),
 * except that the lanes variant runs the direct kernels where its blocks would hold fewer than 8 channels —
 * unless the pass is the transposed form and its stride residues as rows (`subpixelRows`, s² · channels) fill
 * half a block and at most 4 blocks, where transposed_subpixel runs.
 */
function expectVariant(
  dispatches: Array<{ pipeline: GPUComputePipeline }>,
  variant: Conv2dVariant,
  rows: number,
  subpixelRows?: number,
) {
  const subpixel = rows < 8 && subpixelRows !== undefined && subpixelRows >= 4 && subpixelRows <= 32;
  const expected =
    variant !== 'lanes'
      ? /^conv2d(_weight)?:/
      : rows >= 8
        ? /_lanes:(?!transposed_subpixel)/
        : subpixel
          ? /^conv2d_lanes:transposed_subpixel:/
          : /^conv2d(_weight)?:/;
  for (const d of dispatches)
    if (!expected.test(d.pipeline.label))
      throw new Error(`the ${variant} variant with ${rows} rows ran ${d.pipeline.label}`);
}

/**
 * Runs `check` on `variant`, or, where the adapter cannot run the lanes kernels (SwiftShader's subgroups of 4),
 * checks that they are refused, never run.
 */
async function onVariant(gpu: Gpu, variant: Conv2dVariant, check: () => Promise<void>) {
  if (variant === 'lanes' && !lanesSupported(gpu.adapter)) {
    const s = { B: 1, inChannels: 1, inHeight: 4, inWidth: 4, outChannels: 1, kernel: 3, stride: 1, padding: 0 };
    const t = (n: number) => ({ buffer: zeros(gpu, n) });
    throwsWith(
      () => conv2dForward(gpu, { ...s, variant, x: t(16), weight: t(9), bias: t(1), y: t(4), activation: 'relu' }),
      ["'lanes' conv kernels need subgroups of at least 8"],
    );
    return;
  }
  await check();
}

async function checkForward(gpu: Gpu, variant: Conv2dVariant, kind: Kind, s: Conv2dShape, act: Activation) {
  const { xs, ys, ws, OH, OW } = sizes(kind, s);
  const x = seededUniform(xs + 1, xs, -1, 1);
  const w = seededUniform(ws + 2, ws, -0.5, 0.5);
  const bias = seededUniform(3, s.outChannels, -1, 1);
  const y = zeros(gpu, ys);
  const dispatches = LAYERS[kind].forward(gpu, {
    ...s,
    variant,
    x: { buffer: upload(gpu, x) },
    weight: { buffer: upload(gpu, w) },
    bias: { buffer: upload(gpu, bias) },
    y: { buffer: y },
    activation: act,
  });
  // conv2d's forward is the correlate form, the transposed conv's the transposed form.
  expectVariant(
    dispatches,
    variant,
    s.outChannels,
    kind === 'conv_transpose2d' ? s.stride ** 2 * s.outChannels : undefined,
  );
  const actual = await runAndRead(gpu, dispatches, y, ys);
  assertClose(actual, LAYERS[kind].forwardRef(s, x, w, bias, act).y, {
    ...tolerance(terms(kind, s, OH, OW).forward),
    label: `${kind} forward ${act} ${describe(s)}`,
  });
}

async function checkBackwardInput(gpu: Gpu, variant: Conv2dVariant, kind: Kind, s: Conv2dShape, act: Activation) {
  const { xs, ys, ws, OH, OW } = sizes(kind, s);
  // x is the previous layer's activation output; the kernel differentiates that activation through x itself.
  const xPre = seededUniform(xs + 4, xs, -2, 2);
  const x = activate(xPre, act);
  const w = seededUniform(ws + 5, ws, -0.5, 0.5);
  const dPre = seededUniform(ys + 6, ys, -1, 1);
  const dx = zeros(gpu, xs);
  const dispatches = LAYERS[kind].backwardInput(gpu, {
    ...s,
    variant,
    dPre: { buffer: upload(gpu, dPre) },
    weight: { buffer: upload(gpu, w) },
    x: { buffer: upload(gpu, x) },
    dx: { buffer: dx },
    inputActivation: act,
  });
  // conv2d's input gradient is the transposed form, the transposed conv's the correlate form.
  expectVariant(dispatches, variant, s.inChannels, kind === 'conv2d' ? s.stride ** 2 * s.inChannels : undefined);
  const actual = await runAndRead(gpu, dispatches, dx, xs);
  // The reference's dx with an identity layer activation is the gradient into x before x's own activation.
  const { dx: raw } = LAYERS[kind].backwardRef(s, x, w, dPre, dPre, 'identity');
  assertClose(actual, activationBackward(xPre, raw, act), {
    ...tolerance(terms(kind, s, OH, OW).input),
    label: `${kind} backward input ${act} ${describe(s)}`,
  });
}

async function checkBackwardWeight(gpu: Gpu, variant: Conv2dVariant, kind: Kind, s: Conv2dShape) {
  const { xs, ys, ws, OH, OW } = sizes(kind, s);
  const x = seededUniform(xs + 7, xs, -1, 1);
  const dPre = seededUniform(ys + 8, ys, -1, 1);
  const dWeight = zeros(gpu, ws);
  const dispatches = LAYERS[kind].backwardWeight(gpu, {
    ...s,
    variant,
    x: { buffer: upload(gpu, x) },
    dPre: { buffer: upload(gpu, dPre) },
    dWeight: { buffer: dWeight },
  });
  // The filter gradient's rows are the small tensor's channels: the conv's output, the transposed conv's input.
  expectVariant(dispatches, variant, kind === 'conv2d' ? s.outChannels : s.inChannels);
  const actual = await runAndRead(gpu, dispatches, dWeight, ws);
  const w = new Float64Array(ws);
  assertClose(actual, LAYERS[kind].backwardRef(s, x, w, dPre, dPre, 'identity').dWeight, {
    ...tolerance(terms(kind, s, OH, OW).weight),
    label: `${kind} backward weight ${describe(s)}`,
  });
}

for (const variant of CONV2D_VARIANTS) {
  for (const [kind, s, act] of PEER) {
    test(`${variant}: peer ${kind} ${describe(s)}: forward ${act}, backward input ${act}', backward weight`, async ({
      gpu,
    }) =>
      onVariant(gpu, variant, async () => {
        await checkForward(gpu, variant, kind, s, act);
        await checkBackwardInput(gpu, variant, kind, s, act);
        await checkBackwardWeight(gpu, variant, kind, s);
      }));
  }

  // Each odd shape with one activation per pass (a pipeline per activation, shape and pass costs lavapipe about
  // a second to compile), and every activation on one of them.
  for (const kind of Object.keys(LAYERS) as Kind[])
    for (const s of ODD) {
      test(`${variant}: ${kind} ${describe(s)}: forward relu, backward input tanh', backward weight`, async ({ gpu }) =>
        onVariant(gpu, variant, async () => {
          await checkForward(gpu, variant, kind, s, 'relu');
          await checkBackwardInput(gpu, variant, kind, s, 'tanh');
          await checkBackwardWeight(gpu, variant, kind, s);
        }));
    }

  // conv2d's forward runs the correlate entry point and its input gradient the transposed one: between them
  // every activation passes through both entry points' epilogues.
  test(`${variant}: conv2d ${describe(ODD[1])}: forward and backward input with every activation`, async ({ gpu }) =>
    onVariant(gpu, variant, async () => {
      for (const act of ACTIVATIONS) {
        await checkForward(gpu, variant, 'conv2d', ODD[1], act);
        await checkBackwardInput(gpu, variant, 'conv2d', ODD[1], act);
      }
    }));
}

test('bad shapes and bindings are refused, naming the layer, the tensor and the shape', ({ gpu }) => {
  const s = { B: 2, inChannels: 3, inHeight: 5, inWidth: 5, outChannels: 4, kernel: 3, stride: 1, padding: 0 };
  const tensors = (xs: number, ys: number) => ({
    x: { buffer: zeros(gpu, xs) },
    weight: { buffer: zeros(gpu, 3 * 4 * 9) },
    bias: { buffer: zeros(gpu, 4) },
    y: { buffer: zeros(gpu, ys) },
    activation: 'relu' as const,
  });
  throwsWith(
    () => conv2dForward(gpu, { ...s, ...tensors(149, 72) }),
    ['conv2d forward', 'x holds 149 floats, needs 150', 'inChannels=3'],
  );
  throwsWith(
    () => conv2dForward(gpu, { ...s, ...tensors(150, 71) }),
    ['conv2d forward', 'y holds 71 floats, needs 72'],
  );
  throwsWith(
    () => conv2dForward(gpu, { ...s, kernel: 6, ...tensors(150, 72) }),
    ['conv2d forward', 'output would be 0×0 pixels', 'kernel=6'],
  );
  throwsWith(
    () => conv2dForward(gpu, { ...s, padding: -1, ...tensors(150, 72) }),
    ['padding must be a non-negative integer, got -1'],
  );
  throwsWith(
    () => conv2dForward(gpu, { ...s, stride: 0, ...tensors(150, 72) }),
    ['stride must be a positive integer, got 0'],
  );
  throwsWith(
    () =>
      convTranspose2dBackwardWeight(gpu, {
        ...s,
        x: { buffer: zeros(gpu, 150) },
        dPre: { buffer: zeros(gpu, 2 * 4 * 49 - 1) },
        dWeight: { buffer: zeros(gpu, 108) },
      }),
    ['conv_transpose2d backward weight', 'dPre holds 391 floats, needs 392'],
  );
  const shared = zeros(gpu, 400);
  throwsWith(
    () =>
      conv2dBackwardInput(gpu, {
        ...s,
        dPre: { buffer: zeros(gpu, 72) },
        weight: { buffer: zeros(gpu, 108) },
        x: { buffer: shared },
        dx: { buffer: shared },
        inputActivation: 'tanh',
      }),
    ['conv2d backward input', 'dx must not share a buffer with dPre, weight or x'],
  );
});

test.run();
