/**
 * Benchmark of the matmul kernel and of one whole SGVB step, on whatever adapter acquireDevice() picks
 * (AEVB_VULKAN_ICD chooses the Vulkan driver in Node).
 *
 * What it measures, for the 784-500-20 tanh VAE at B = 100:
 *  - every matmul launch in SgvbStep's plan (forward, dW = xᵀ·dPre, dX = dPre·Wᵀ ⊙ act'), found in the plan
 *    itself so the list follows SgvbStep: time per launch and GFLOP/s (2·M·N·K flops);
 *  - a "peak" for the adapter: the best GFLOP/s of the same kernel on large square matmuls (256³, 512³, 1024³;
 *    a size is skipped once the one before it took over 1 s per launch), and each step matmul's fraction of it;
 *  - the whole step with Adam: time per step, samples/s, the matmul FLOPs of a step, the step's effective
 *    GFLOP/s, and the share of the step that the matmuls' own times add up to.
 * A kernel is timed by encoding N copies of its dispatch into ONE command buffer, submitting it and awaiting
 * onSubmittedWorkDone; N is chosen so one measurement lasts ≥ 0.5 s, after a warm-up; the median of 3 is kept.
 *
 * The matmul variant is the device's choice (src/kernels/matmul_variant.ts); AEVB_MATMUL=register|tiled forces one.
 *
 * Run:  node --import tsx bench/kernels.ts [--quick] [--json]
 *   --quick  short measurements (≈ 0.05 s, one round) for smoke runs; the numbers are rough.
 *   --json   stdout carries one JSON object per line (one per table row, `row` names its kind) for other
 *            scripts (bench/vulkan_drivers.ts); the human table then goes to stderr.
 *
 * The numbers are for comparison within one run on one machine (these machines are shared and noisy); they
 * are never used as test assertions.
 */
import { acquireDevice, type GpuContext } from '../src/gpu/device.ts';
import { createStorageBuffer } from '../src/gpu/buffers.ts';
import { encodeDispatches, type KernelDispatch } from '../src/kernels/kernel.ts';
import { matmul } from '../src/kernels/matmul.ts';
import { ACTIVATIONS } from '../src/kernels/activation.ts';
import { allLayers, vaeLayers, type VaeArchitecture } from '../src/model/vae_architecture.ts';
import { SgvbStep } from '../src/train/sgvb_step.ts';
import { Vae } from '../src/model/vae.ts';
import { DEFAULT_OPTIMIZERS } from '../src/train/optimizer_config.ts';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const JSON_OUT = args.has('--json');
/** Seconds one measurement should last; long enough that submit and wake-up overheads vanish. */
const TARGET_S = QUICK ? 0.05 : 0.5;
const ROUNDS = QUICK ? 1 : 3;
const ARCH: VaeArchitecture = { D: 784, hidden: [500], Z: 20, activation: 'tanh' };
const B = 100;
const PEAK_SIZES = QUICK ? [256, 512] : [256, 512, 1024];
/** Seconds per launch past which the larger squares are skipped. */
const PEAK_MAX_LAUNCH_S = 1;

type Row = Record<string, string | number | boolean>;
interface Timing { seconds: number; reps: number }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Median seconds of one unit of work, where run(n) performs n units and returns the seconds they took.
 * One warm-up (pipeline compilation, first-touch allocation), then n grows until a run is long enough to
 * extrapolate, and is scaled so one measured run lasts about TARGET_S.
 */
async function measure(run: (n: number) => Promise<number>): Promise<Timing> {
  await run(1);
  let n = 1;
  let t = await run(n);
  while (t < TARGET_S / 10 && n < 1e6) {
    n *= 4;
    t = await run(n);
  }
  const reps = Math.max(1, Math.ceil((n * TARGET_S * 1.1) / t));
  const rounds: number[] = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push((await run(reps)) / reps);
  return { seconds: median(rounds), reps };
}

/** Seconds to run `dispatch` n times in one command buffer; encoding happens before the clock starts. */
async function runRepeated(gpu: GpuContext, dispatch: KernelDispatch, n: number): Promise<number> {
  const encoder = gpu.device.createCommandEncoder({ label: `bench ${dispatch.label}` });
  encodeDispatches(encoder, new Array<KernelDispatch>(n).fill(dispatch), 'bench');
  const commands = encoder.finish();
  const start = performance.now();
  gpu.device.queue.submit([commands]);
  await gpu.device.queue.onSubmittedWorkDone();
  return (performance.now() - start) / 1000;
}

interface MatmulShape { M: number; N: number; K: number }

/**
 * M, N, K of a matmul of the step plan, from its label `[prefix ]${layer} forward|dW|dX` (the labels SgvbStep
 * and VaeForward give; layer names have no spaces, so the word before the kind is the layer).
 */
function stepMatmulShape(label: string): MatmulShape {
  const match = /^(?:.* )?(\S+) (forward|dW|dX)$/.exec(label);
  const layer = match && allLayers(vaeLayers(ARCH)).find((l) => l.name === match[1]);
  if (!match || !layer) throw new Error(`bench: the step plan has a matmul '${label}' this benchmark cannot size; update stepMatmulShape`);
  const { inputs, outputs } = layer;
  if (match[2] === 'forward') return { M: B, K: inputs, N: outputs };
  if (match[2] === 'dW') return { M: inputs, K: B, N: outputs };
  return { M: B, K: outputs, N: inputs };
}

/** The fused epilogue, read from the pipeline's override constants (its label, as GpuContext.pipeline names it). */
function epilogueOf(pipeline: GPUComputePipeline): string {
  const json = pipeline.label.slice(pipeline.label.indexOf('{'));
  try {
    const c = JSON.parse(json) as Record<string, number>;
    const act = ACTIVATIONS[c.ACTIVATION] ?? `activation ${c.ACTIVATION}`;
    const ops = `${c.TRANSPOSE_A ? 'Aᵀ' : 'A'}·${c.TRANSPOSE_B ? 'Bᵀ' : 'B'}`;
    return `${ops} ${['', `+bias, ${act}`, `⊙ ${act}'`][c.EPILOGUE] ?? `epilogue ${c.EPILOGUE}`}`.trim();
  } catch {
    return '?';
  }
}

const gflops = (flops: number, seconds: number) => flops / seconds / 1e9;
const flopsOf = (s: MatmulShape) => 2 * s.M * s.N * s.K;

/** The same matmul kernel (no epilogue) on n³ squares: the best GFLOP/s is the adapter's "peak" reference. */
async function benchPeak(gpu: GpuContext): Promise<Row[]> {
  const rows: Row[] = [];
  for (const n of PEAK_SIZES) {
    const a = createStorageBuffer(gpu, 'peak A', Float32Array.from({ length: n * n }, () => Math.random() - 0.5));
    const b = createStorageBuffer(gpu, 'peak B', Float32Array.from({ length: n * n }, () => Math.random() - 0.5));
    const c = createStorageBuffer(gpu, 'peak C', n * n);
    const d = matmul(gpu, { M: n, N: n, K: n, a: { buffer: a }, b: { buffer: b }, c: { buffer: c } }, `square ${n}³`);
    const t = await measure((reps) => runRepeated(gpu, d, reps));
    await gpu.settle();
    rows.push({ row: 'peak', label: d.label, M: n, N: n, K: n, reps: t.reps, msPerLaunch: t.seconds * 1e3, gflops: gflops(flopsOf({ M: n, N: n, K: n }), t.seconds) });
    for (const buffer of [a, b, c]) buffer.destroy();
    // The next size costs 8× per launch: on a slow driver (SwiftShader) that is minutes for no new information.
    if (t.seconds > PEAK_MAX_LAUNCH_S) break;
  }
  return rows;
}

/** Every matmul of the step plan, timed on the step's own buffers. */
async function benchStepMatmuls(gpu: GpuContext, step: SgvbStep): Promise<Row[]> {
  const rows: Row[] = [];
  for (const d of step.plan.filter((x) => x.pipeline.label.startsWith('matmul:'))) {
    const shape = stepMatmulShape(d.label);
    const t = await measure((reps) => runRepeated(gpu, d, reps));
    await gpu.settle();
    rows.push({ row: 'matmul', label: d.label, ...shape, epilogue: epilogueOf(d.pipeline), reps: t.reps, msPerLaunch: t.seconds * 1e3, gflops: gflops(flopsOf(shape), t.seconds) });
  }
  return rows;
}

/** Random binary minibatches, made before timing so the CPU's random numbers stay out of the step time. */
function binaryBatches(count: number): Float32Array[] {
  return Array.from({ length: count }, () => Float32Array.from({ length: B * ARCH.D }, () => (Math.random() < 0.3 ? 1 : 0)));
}

/** Small random weights (zeros elsewhere, padding included) so the step computes on realistic values. */
function initParameters(gpu: GpuContext, step: SgvbStep): void {
  const { layout } = step.model;
  const params = new Float32Array(layout.P);
  for (const e of layout.entries) {
    if (e.name.endsWith('.weight')) for (let i = 0; i < e.size; i++) params[e.offset + i] = (Math.random() - 0.5) * 0.1;
  }
  gpu.device.queue.writeBuffer(step.model.params, 0, params);
}

/** The whole step: n steps submitted back to back, one await. */
async function benchStep(gpu: GpuContext, step: SgvbStep, matmuls: Row[]): Promise<Row> {
  const batches = binaryBatches(8);
  const t = await measure(async (n) => {
    const start = performance.now();
    for (let i = 0; i < n; i++) step.submit(batches[i % batches.length]);
    await gpu.device.queue.onSubmittedWorkDone();
    return (performance.now() - start) / 1000;
  });
  await gpu.settle();
  const flops = matmuls.reduce((s, r) => s + flopsOf(r as unknown as MatmulShape), 0);
  const matmulMs = matmuls.reduce((s, r) => s + (r.msPerLaunch as number), 0);
  return {
    row: 'step', label: 'sgvb step (adam)', optimizer: 'adam', B, dispatches: step.plan.length, reps: t.reps,
    msPerStep: t.seconds * 1e3, samplesPerSec: B / t.seconds, matmulGflopPerStep: flops / 1e9,
    gflops: gflops(flops, t.seconds), matmulMs, matmulShare: matmulMs / (t.seconds * 1e3),
  };
}

/** Right-aligned columns; the first column left-aligned. */
function formatTable(headers: string[], cells: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

const fixed = (x: number | string | boolean, digits: number) => (x as number).toFixed(digits);

function report(peaks: Row[], matmuls: Row[], step: Row): string {
  const peak = Math.max(...peaks.map((r) => r.gflops as number));
  const shapeOf = (r: Row) => `${r.M}×${r.K}·${r.K}×${r.N}`;
  const kernelTable = formatTable(
    ['kernel', 'shape (M×K·K×N)', 'op, epilogue', 'reps', 'ms/launch', 'GFLOP/s', 'of peak'],
    [
      ...matmuls.map((r) => [r.label as string, shapeOf(r), r.epilogue as string, `${r.reps}`, fixed(r.msPerLaunch, 3), fixed(r.gflops, 2), `${fixed((r.gflops as number) / peak * 100, 0)} %`]),
      ...peaks.map((r) => [`peak: ${r.label}`, shapeOf(r), 'A·B', `${r.reps}`, fixed(r.msPerLaunch, 3), fixed(r.gflops, 2), `${fixed((r.gflops as number) / peak * 100, 0)} %`]),
    ],
  );
  const stepLines = [
    `whole step (784-500-20, B=${B}, Adam, ${step.dispatches} dispatches, ${step.reps} steps per measurement):`,
    `  ${fixed(step.msPerStep, 3)} ms/step   ${fixed(step.samplesPerSec, 0)} samples/s`,
    `  matmul work ${fixed(step.matmulGflopPerStep, 4)} GFLOP/step → effective ${fixed(step.gflops, 2)} GFLOP/s (peak ${fixed(peak, 2)})`,
    `  matmuls timed alone add up to ${fixed(step.matmulMs, 3)} ms = ${fixed((step.matmulShare as number) * 100, 0)} % of the step`,
  ];
  return ['', kernelTable, '', ...stepLines].join('\n');
}

async function main(): Promise<void> {
  const gpu = await acquireDevice();
  const model = await Vae.create({ D: ARCH.D, hidden: ARCH.hidden, latent: ARCH.Z, activation: ARCH.activation, init: 'pytorch', seed: 1 }, { gpu });
  const step = new SgvbStep(model, { B, optimizer: DEFAULT_OPTIMIZERS.adam, seed: 1 });
  try {
    const a = gpu.adapter;
    const adapter: Row = { row: 'adapter', description: a.description, driver: a.driver, vendor: a.vendor, device: a.device, isFallbackAdapter: a.isFallbackAdapter, matmulVariant: gpu.matmulVariant, quick: QUICK };
    // Print the adapter before the minutes of measuring, so a run shows at once what it is timing.
    const human = JSON_OUT ? console.error : console.log;
    human(`adapter: ${a.description} (driver: ${a.driver}), matmul variant: ${gpu.matmulVariant}${QUICK ? '   [--quick: rough numbers]' : ''}`);
    initParameters(gpu, step);
    const peaks = await benchPeak(gpu);
    const peak = Math.max(...peaks.map((r) => r.gflops as number));
    const matmuls = (await benchStepMatmuls(gpu, step)).map((r) => ({ ...r, fractionOfPeak: (r.gflops as number) / peak }));
    const stepRow = await benchStep(gpu, step, matmuls);
    const text = report(peaks, matmuls, stepRow);
    human(text);
    if (JSON_OUT) for (const r of [adapter, ...peaks, ...matmuls, stepRow]) console.log(JSON.stringify(r));
  } finally {
    step.destroy();
    model.destroy();
    gpu.destroy();
  }
}

await main();
