/**
 * Device time of every convolution kernel of the PyTorch peer's conv VAE (issue 24) at B = 100 on the current
 * driver (AEVB_VULKAN_ICD=lavapipe | swiftshader): 1→32 28×28 and 32→64 14×14 convs, the mirrored 64→32 and
 * 32→1 transposed convs (k 4, s 2, p 1), each pass — forward (bias + relu), input gradient (relu' epilogue),
 * filter gradient, bias gradient — timed alone with GPU timestamps (bench/timing.ts runRepeated), with its
 * GFLOP/s and, with --ceilings, its share of the adapter's arithmetic ceiling (bench/ceilings.wgsl).
 *
 * Every variant the adapter can run, side by side (src/kernels/conv2d_variant.ts); '*' marks the adapter's default.
 *
 * --ab-groups 4,2: an A/B of the lanes kernels' most blocks of 8 channels per workgroup (lanesTuning.maxGroups),
 * every pass timed under each setting in turn, alternating, --ab-rounds times (default 3), in one process, so
 * that the ratio holds while the box's load moves. --only TEXT keeps the layers whose name holds TEXT.
 *
 * Run:  node --import tsx bench/conv_kernels.ts [--ceilings] [--batch 100] [--variants direct,lanes]
 *       node --import tsx bench/conv_kernels.ts --ab-groups 4,2 [--ab-rounds 3] [--only 32→64]
 */
import { acquireDevice, type GpuContext } from '../src/gpu/device.ts';
import { createStorageBuffer } from '../src/gpu/buffers.ts';
import type { KernelDispatch } from '../src/kernels/kernel.ts';
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
import { channelSum } from '../src/kernels/channel_sum.ts';
import { CONV2D_VARIANTS, conv2dVariantOf, lanesTuning, type Conv2dVariant } from '../src/kernels/conv2d_variant.ts';
import { lanesSupported } from '../src/kernels/matmul_variant.ts';
import { hasDeviceClock, measure, runRepeated } from './timing.ts';
import { benchCeilings } from './ceilings.ts';

const args = process.argv.slice(2);
const B = Number(args[args.indexOf('--batch') + 1] ?? 100) || 100;
const withCeilings = args.includes('--ceilings');
const variantsArg = args.includes('--variants')
  ? args[args.indexOf('--variants') + 1].split(',')
  : [...CONV2D_VARIANTS];
for (const v of variantsArg)
  if (!(CONV2D_VARIANTS as readonly string[]).includes(v))
    throw new Error(`bench/conv_kernels.ts: --variants: '${v}' is not one of ${CONV2D_VARIANTS.join(', ')}`);
const abGroups = args.includes('--ab-groups') ? args[args.indexOf('--ab-groups') + 1].split(',').map(Number) : [];
if (abGroups.length > 0 && (abGroups.length !== 2 || abGroups.some((g) => !(Number.isInteger(g) && g >= 1 && g <= 4))))
  throw new Error(`bench/conv_kernels.ts: --ab-groups takes two block counts 1..4 (the shaders' most), e.g. 4,2`);
const abRounds = args.includes('--ab-rounds') ? Number(args[args.indexOf('--ab-rounds') + 1]) : 3;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : '';
const TARGET_S = 0.5;
const ROUNDS = 3;

const layer = (inChannels: number, size: number, outChannels: number): Conv2dShape => ({
  B,
  inChannels,
  inHeight: size,
  inWidth: size,
  outChannels,
  kernel: 4,
  stride: 2,
  padding: 1,
});

const ALL_LAYERS: Array<{ name: string; transposed: boolean; shape: Conv2dShape }> = [
  { name: 'enc conv 1→32 28²', transposed: false, shape: layer(1, 28, 32) },
  { name: 'enc conv 32→64 14²', transposed: false, shape: layer(32, 14, 64) },
  { name: 'dec convT 64→32 7²', transposed: true, shape: layer(64, 7, 32) },
  { name: 'dec convT 32→1 14²', transposed: true, shape: layer(32, 14, 1) },
];

const LAYERS = ALL_LAYERS.filter((l) => l.name.includes(only));
if (LAYERS.length === 0) throw new Error(`bench/conv_kernels.ts: --only '${only}' matches no layer`);

function passes(
  gpu: GpuContext,
  variant: Conv2dVariant,
  transposed: boolean,
  shape: Conv2dShape,
): Array<[string, KernelDispatch, number]> {
  const s = { ...shape, variant };
  const size = transposed ? convTranspose2dOutputSize : conv2dOutputSize;
  const OH = size(s.inHeight, s.kernel, s.stride, s.padding);
  const OW = size(s.inWidth, s.kernel, s.stride, s.padding);
  const xs = s.B * s.inChannels * s.inHeight * s.inWidth;
  const ys = s.B * s.outChannels * OH * OW;
  const buffer = (n: number, name: string) => ({
    buffer: createStorageBuffer(
      gpu,
      `bench ${name}`,
      Float32Array.from({ length: n }, () => Math.random() - 0.5),
    ),
  });
  const x = buffer(xs, 'x');
  const y = buffer(ys, 'y');
  const weight = buffer(s.inChannels * s.outChannels * s.kernel ** 2, 'weight');
  const bias = buffer(s.outChannels, 'bias');
  const dx = buffer(xs, 'dx');
  const dWeight = buffer(s.inChannels * s.outChannels * s.kernel ** 2, 'dWeight');
  const dBias = buffer(s.outChannels, 'dBias');
  // Multiply-adds of the layer: every (input pixel, output pixel, channel pair) tap inside both images, counted
  // once; each of the three passes does that many (the input gradient and the filter gradient, the same taps).
  const macs = s.B * s.inChannels * s.outChannels * s.kernel ** 2 * (transposed ? s.inHeight * s.inWidth : OH * OW);
  const [fwd, bwdIn, bwdW] = transposed
    ? [convTranspose2dForward, convTranspose2dBackwardInput, convTranspose2dBackwardWeight]
    : [conv2dForward, conv2dBackwardInput, conv2dBackwardWeight];
  const one = (d: KernelDispatch[]) => {
    if (d.length !== 1) throw new Error(`bench: a pass of ${d.length} dispatches is not timed alone`);
    return d[0];
  };
  return [
    ['forward', one(fwd(gpu, { ...s, x, weight, bias, y, activation: 'relu' })), macs],
    ['backward input', one(bwdIn(gpu, { ...s, dPre: y, weight, x, dx, inputActivation: 'relu' })), macs],
    ['backward weight', one(bwdW(gpu, { ...s, x, dPre: y, dWeight })), macs],
    ['bias (channelSum)', channelSum(gpu, { B: s.B, channels: s.outChannels, size: OH * OW, a: y, out: dBias }), 0],
  ];
}

const gpu = await acquireDevice();
try {
  console.log(`adapter: ${gpu.adapter.description} (${gpu.adapter.driver}); B = ${B}`);
  const clock = hasDeviceClock(gpu) ? 'device' : 'wall';
  let ceilingGflops: number | undefined;
  if (withCeilings) {
    const { ceilings } = await benchCeilings(gpu, TARGET_S, ROUNDS);
    ceilingGflops = ceilings.gflops;
    console.log(`arithmetic ceiling (bench/ceilings.wgsl): ${ceilingGflops.toFixed(2)} GFLOP/s`);
  }
  console.log(`times: ${clock} ms per launch (median of ${ROUNDS})`);
  if (abGroups.length === 2) {
    const [a, b] = abGroups;
    await abTunings(
      gpu,
      [{ maxGroups: a }, { maxGroups: b }],
      `at most ${a} (A) vs ${b} (B) blocks of 8 channels per workgroup`,
    );
    process.exit(0);
  }
  const variants = (variantsArg as Conv2dVariant[]).filter((v) => v !== 'lanes' || lanesSupported(gpu.adapter));
  const chosen = conv2dVariantOf(gpu);
  for (const variant of variants) {
    console.log(`\nvariant ${variant}${variant === chosen ? ' *' : ''}`);
    let total = 0;
    for (const l of LAYERS) {
      for (const [pass, d, macs] of passes(gpu, variant, l.transposed, l.shape)) {
        const t = await measure((reps) => runRepeated(gpu, d, reps), TARGET_S, ROUNDS);
        const seconds = t.deviceSeconds ?? t.seconds;
        total += seconds;
        const gflops = macs > 0 ? (2 * macs) / seconds / 1e9 : undefined;
        const share =
          gflops !== undefined && ceilingGflops !== undefined
            ? ` (${((100 * gflops) / ceilingGflops).toFixed(1)} % of ceiling)`
            : '';
        console.log(
          `${l.name.padEnd(20)} ${pass.padEnd(18)} ${(seconds * 1e3).toFixed(2).padStart(9)} ms` +
            (gflops === undefined ? '' : `  ${gflops.toFixed(2).padStart(6)} GFLOP/s${share}`),
        );
      }
    }
    console.log(`all conv passes of one step (${variant}): ${(total * 1e3).toFixed(1)} ms`);
  }
  await gpu.settle();
} finally {
  gpu.destroy();
}

/** Times every lanes pass under each of two lanesTuning settings, alternating; prints ms and B/A. */
async function abTunings(gpu: GpuContext, sides: Array<Partial<typeof lanesTuning>>, what: string) {
  const saved = { ...lanesTuning };
  const built = sides.map((side) => {
    Object.assign(lanesTuning, saved, side);
    return LAYERS.map((l) => passes(gpu, 'lanes', l.transposed, l.shape));
  });
  Object.assign(lanesTuning, saved);
  console.log(`A/B: lanes, ${what}, ${abRounds} alternating rounds`);
  const totals = [0, 0];
  for (const [li, l] of LAYERS.entries()) {
    for (const [pi, [pass]] of built[0][li].entries()) {
      const times: number[][] = [[], []];
      for (let round = 0; round < abRounds; round++)
        for (const side of [0, 1]) {
          const d = built[side][li][pi][1];
          const t = await measure((reps) => runRepeated(gpu, d, reps), TARGET_S, 1);
          times[side].push(t.deviceSeconds ?? t.seconds);
        }
      const med = times.map((ts) => [...ts].sort((x, y) => x - y)[Math.floor(ts.length / 2)]);
      totals[0] += med[0];
      totals[1] += med[1];
      console.log(
        `${l.name.padEnd(20)} ${pass.padEnd(18)} A ${(med[0] * 1e3).toFixed(2).padStart(8)} ms  B ${(med[1] * 1e3).toFixed(2).padStart(8)} ms  B/A ${(med[1] / med[0]).toFixed(3)}`,
      );
    }
  }
  console.log(
    `all: A ${(totals[0] * 1e3).toFixed(1)} ms, B ${(totals[1] * 1e3).toFixed(1)} ms, B/A ${(totals[1] / totals[0]).toFixed(3)}`,
  );
  await gpu.settle();
  gpu.destroy();
}
