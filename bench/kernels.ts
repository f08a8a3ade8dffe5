/**
 * Benchmark of the matmul kernels and of the whole SGVB step, every matmul variant side by side in one run, on
 * whatever adapter acquireDevice() picks (AEVB_VULKAN_ICD chooses the Vulkan driver in Node).
 *
 * What it measures, for the 784-500-20 tanh VAE:
 *  - the adapter's ceilings (bench/ceilings.wgsl): arithmetic (an unrolled loop of independent vec4 fma; an fma
 *    counts 2 flops) and loads (vec4 loads/s, and f32 loads/s: on CPU drivers both cost about one load);
 *  - for every variant (src/kernels/matmul_variant.ts; one device each, made with options.matmulVariant), every
 *    matmul launch in SgvbStep's plan at B = 100 (forward, dW = xᵀ·dPre, dX = dPre·Wᵀ ⊙ act'), found in the
 *    plan itself so the list follows SgvbStep: time per launch, GFLOP/s (2·M·N·K flops), its share of the
 *    arithmetic ceiling, and the share of the load ceiling its own loads reach (loads counted from the kernel's
 *    structure by issuedLoads below; 'tiled' is left out: most of its loads are from workgroup memory);
 *  - the whole step with Adam at B = 100 and B = 1000 for every variant: samples/s, and its ratio to
 *    'register' (the lavapipe default before 'lanes');
 *  - for the adapter's default variant at B = 100: every launch of the step plan timed alone, summed by kernel
 *    family and shown as a share of the step's CPU time (what the rest of the step costs beside the matmuls),
 *    and the step with its data in place submitted one per command buffer against 8 encoded into one (what a
 *    submission costs: Trainer could encode several ring slots' steps at once).
 * Every timing is kept twice: wall clock, and this process's CPU time (user + system, lavapipe's worker threads
 * included); a kernel timed alone also gets device time where the adapter has timestamp-query (lavapipe and
 * SwiftShader do): timestamps written at the start and end of its pass (bench/timing.ts runRepeated). Shares
 * of the ceilings and ratios between variants use CPU time, which other processes on a shared machine disturb
 * far less; samples/s is wall time, what a user waits. The output ends with a line saying which clock is which.
 * A kernel is timed by encoding N copies of its dispatch into ONE command buffer, submitting it and awaiting
 * onSubmittedWorkDone; N is chosen so one measurement lasts ≥ 0.5 s, after a warm-up; the median of 3 is kept.
 * A variant the adapter cannot run (lanes without subgroups of 8) is reported and skipped.
 *
 * Run:  node --import tsx bench/kernels.ts [--quick] [--json] [--variants register,lanes|default] [--batches 100,1000] [--no-profile]
 *   --quick     short measurements (≈ 0.05 s, one round) for smoke runs; the numbers are rough.
 *   --variants  which matmul variants to measure (default: all; 'default' is the adapter's own choice).
 *   --batches   the minibatch sizes of the whole-step table (default: 100,1000).
 *   --no-profile  skip the per-launch profile of the default variant's step (every launch of SgvbStep's plan
 *               timed alone, by kernel family and as a share of the step) and the steps-per-submission table.
 *   --json   stdout carries one JSON object per line (one per table row, `row` names its kind) for other
 *            scripts (bench/vulkan_drivers.ts); the human table then goes to stderr.
 *
 * The numbers are for comparison within one run on one machine (these machines are shared and noisy); they
 * are never used as test assertions.
 */
import { acquireDevice, type GpuContext } from '../src/gpu/device.ts';
import { kernelDispatch } from '../src/kernels/kernel.ts';
import { hasDeviceClock, measure, runRepeated, startClock, type Timing } from './timing.ts';
import { benchCeilings, type Ceilings } from './ceilings.ts';
import {
  LANES,
  lanesSupported,
  MATMUL_VARIANTS,
  matmulVariantOf,
  parseMatmulVariant,
  type MatmulVariant,
} from '../src/kernels/matmul_variant.ts';
import { MATMUL_TILE } from '../src/kernels/matmul.ts';
import { ACTIVATIONS } from '../src/kernels/activation.ts';
import { allLayers, vaeLayers, type VaeArchitecture } from '../src/model/vae_architecture.ts';
import { Vae } from '../src/vae/vae.ts';
import { SgvbStep } from '../src/train/sgvb_step.ts';
import { DEFAULT_OPTIMIZERS } from '../src/train/optimizer_config.ts';

const argv = process.argv.slice(2);
const args = new Set(argv);
const QUICK = args.has('--quick');
const JSON_OUT = args.has('--json');
const PROFILE = !args.has('--no-profile');
/** The value after `--name`, split at commas; undefined when the flag is absent. */
function listFlag(name: string): string[] | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  if (i + 1 >= argv.length) throw new Error(`bench/kernels.ts: --${name} needs a comma-separated list`);
  return argv[i + 1].split(',');
}
/** Seconds one measurement should last; long enough that submit and wake-up overheads vanish. */
const TARGET_S = QUICK ? 0.05 : 0.5;
const ROUNDS = QUICK ? 1 : 3;
const ARCH: VaeArchitecture = { D: 784, hidden: [500], Z: 20, activation: 'tanh' };
/** Minibatch of the per-matmul table; the whole step runs at every size of STEP_BATCHES. */
const B = 100;
const STEP_BATCHES = (listFlag('batches') ?? ['100', '1000']).map((b) => {
  if (!/^[1-9]\d*$/.test(b)) throw new Error(`bench/kernels.ts: --batches takes positive integers, got '${b}'`);
  return Number(b);
});
/** Variants to measure ('default': the adapter's choice); every variant unless --variants says otherwise. */
const VARIANT_NAMES = listFlag('variants') ?? [...MATMUL_VARIANTS];
/** Workgroup size and loop length of the ceiling kernels; enough workgroups to fill every core many times. */

type Row = Record<string, string | number | boolean>;
/** Seconds of one unit of work: wall clock, and CPU time of this process (lavapipe's threads included). */
interface MatmulShape {
  M: number;
  N: number;
  K: number;
}

/**
 * M, N, K of a matmul of the step plan, from its label `[prefix ]${layer} forward|dW|dX` (the labels SgvbStep
 * and VaeForward give; layer names have no spaces, so the word before the kind is the layer).
 */
function stepMatmulShape(label: string, batch = B): MatmulShape {
  const match = /^(?:.* )?(\S+) (forward|dW|dX)$/.exec(label);
  const layer = match && allLayers(vaeLayers(ARCH)).find((l) => l.name === match[1]);
  if (!match || !layer)
    throw new Error(`bench: the step plan has a matmul '${label}' this benchmark cannot size; update stepMatmulShape`);
  const { inputs, outputs } = layer;
  if (match[2] === 'forward') return { M: batch, K: inputs, N: outputs };
  if (match[2] === 'dW') return { M: inputs, K: batch, N: outputs };
  return { M: batch, K: outputs, N: inputs };
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

/**
 * Global loads one launch issues, from the kernel's structure (the shaders' headers): 'lanes' loads, per lane
 * and step of 4 k values, one vec4 of A per block of LANES rows and 4 of B (plus one aux vec4 per row of C with
 * an epilogue);
 * 'register' loads, per invocation and k, TILE floats of A and TILE of B (plus one aux float per C element).
 * null for 'tiled', whose loads are mostly from workgroup memory. The kernel and its epilogue are read from the
 * pipeline's label (GpuContext.pipeline names it stem:entry point:constants).
 */
function issuedLoads(pipeline: GPUComputePipeline, s: MatmulShape): { count: number; width: 'vec4' | 'f32' } | null {
  const aux = !pipeline.label.includes('"EPILOGUE":0');
  if (pipeline.label.startsWith('matmul_lanes:')) {
    const groups = (JSON.parse(pipeline.label.slice(pipeline.label.indexOf('{'))) as { GROUPS: number }).GROUPS;
    const lanes = ceilDiv(s.N, 4 * LANES) * LANES * ceilDiv(s.M, groups * LANES);
    return { count: lanes * (ceilDiv(s.K, 4) * (groups + 4) + (aux ? groups * LANES : 0)), width: 'vec4' };
  }
  if (pipeline.label.startsWith('matmul:main:')) {
    const invocations = ceilDiv(s.N, MATMUL_TILE) * ceilDiv(s.M, MATMUL_TILE);
    return { count: invocations * (s.K * 2 * MATMUL_TILE + (aux ? MATMUL_TILE * MATMUL_TILE : 0)), width: 'f32' };
  }
  return null;
}

const ceilDiv = (n: number, d: number) => Math.ceil(n / d);

/** A launch's device time (GPU timestamps around its pass, timestamp-query) where the device has that clock. */
function deviceFigures(t: Timing, flops?: number): Row {
  if (t.deviceSeconds === undefined) return {};
  return {
    deviceMsPerLaunch: t.deviceSeconds * 1e3,
    ...(flops === undefined ? {} : { deviceGflops: gflops(flops, t.deviceSeconds) }),
  };
}

/** Which clock each figure is, said once under the tables. */
function clocksNote(deviceClock: boolean): string {
  return (
    `clocks: ms/launch and samples/s are wall time; GFLOP/CPU-s, "of arith", "of loads", "CPU ms" and the ratios are this process's CPU time; ` +
    (deviceClock
      ? '"device ms" is the device\'s own clock (timestamp-query: timestamps at the start and end of a pass of N launches; on a CPU driver, its queue thread\'s wall time for them, without submission)'
      : 'this adapter has no timestamp-query, so no figure is device time')
  );
}

/** Every matmul of the step plan, timed on the step's own buffers, with its share of the ceilings. */
async function benchStepMatmuls(
  gpu: GpuContext,
  step: SgvbStep,
  variant: MatmulVariant,
  ceilings: Ceilings,
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const d of step.plan.filter((x) => x.pipeline.label.startsWith('matmul'))) {
    const shape = stepMatmulShape(d.label);
    const t = await measure((reps) => runRepeated(gpu, d, reps), TARGET_S, ROUNDS);
    await gpu.settle();
    const loads = issuedLoads(d.pipeline, shape);
    const loadShare =
      loads === null
        ? null
        : loads.count /
          t.cpuSeconds /
          (loads.width === 'vec4' ? ceilings.cpu.vec4LoadsPerSec : ceilings.cpu.f32LoadsPerSec);
    const g = gflops(flopsOf(shape), t.seconds);
    rows.push({
      row: 'matmul',
      variant,
      label: `${variant}: ${d.label}`,
      kernel: d.pipeline.label.slice(0, d.pipeline.label.indexOf(':{')),
      ...shape,
      epilogue: epilogueOf(d.pipeline),
      reps: t.reps,
      msPerLaunch: t.seconds * 1e3,
      cpuMsPerLaunch: t.cpuSeconds * 1e3,
      ...deviceFigures(t, flopsOf(shape)),
      gflops: g,
      cpuGflops: gflops(flopsOf(shape), t.cpuSeconds),
      ofArithmetic: gflops(flopsOf(shape), t.cpuSeconds) / ceilings.cpu.gflops,
      ...(loadShare === null ? {} : { ofLoads: loadShare, loadWidth: loads!.width }),
    });
  }
  return rows;
}

/**
 * Every launch of the step plan at B = 100 timed alone (N copies in one command buffer, on the step's own
 * buffers), grouped by kernel family (the pipeline's shader stem): what the step's time goes to. Repeating the
 * optimizer update moves the parameters far from where training would leave them; the time of an elementwise
 * kernel does not depend on the values.
 */
async function benchStepProfile(gpu: GpuContext, step: SgvbStep, variant: MatmulVariant): Promise<Row[]> {
  const rows: Row[] = [];
  for (const d of step.plan) {
    const t = await measure((reps) => runRepeated(gpu, d, reps), TARGET_S, ROUNDS);
    await gpu.settle();
    const kernel = d.pipeline.label.slice(0, d.pipeline.label.indexOf(':'));
    rows.push({
      row: 'launch',
      variant,
      label: d.label,
      kernel,
      workgroups: d.workgroups.reduce((a, b) => a * b, 1),
      reps: t.reps,
      msPerLaunch: t.seconds * 1e3,
      cpuMsPerLaunch: t.cpuSeconds * 1e3,
      ...deviceFigures(t),
    });
  }
  return rows;
}

/** Random binary minibatches, made before timing so the CPU's random numbers stay out of the step time. */
function binaryBatches(count: number, batch: number): Float32Array[] {
  return Array.from({ length: count }, () =>
    Float32Array.from({ length: batch * ARCH.D }, () => (Math.random() < 0.3 ? 1 : 0)),
  );
}

/** The benchmarked model, initialised as training starts (so the step computes on realistic values). */
function benchModel(gpu: GpuContext): Promise<Vae> {
  return Vae.create(
    { D: ARCH.D, hidden: ARCH.hidden, latent: ARCH.Z, activation: ARCH.activation, init: 'pytorch', seed: 1 },
    { gpu },
  );
}

/** The whole step at minibatch `batch`: n steps submitted back to back, one await. */
async function benchStep(gpu: GpuContext, variant: MatmulVariant, batch: number): Promise<Row> {
  const model = await benchModel(gpu);
  const step = new SgvbStep(model, { B: batch, optimizer: DEFAULT_OPTIMIZERS.adam, seed: 1 });
  try {
    const batches = binaryBatches(4, batch);
    const t = await measure(
      async (n) => {
        const elapsed = startClock();
        for (let i = 0; i < n; i++) step.submit(batches[i % batches.length]);
        await gpu.device.queue.onSubmittedWorkDone();
        return elapsed();
      },
      TARGET_S,
      ROUNDS,
    );
    await gpu.settle();
    const flops = step.plan
      .filter((d) => d.pipeline.label.startsWith('matmul'))
      .reduce((s, d) => s + flopsOf(stepMatmulShape(d.label, batch)), 0);
    return {
      row: 'step',
      variant,
      label: `sgvb step (adam) ${variant} B=${batch}`,
      optimizer: 'adam',
      B: batch,
      dispatches: step.plan.length,
      reps: t.reps,
      msPerStep: t.seconds * 1e3,
      cpuMsPerStep: t.cpuSeconds * 1e3,
      samplesPerSec: batch / t.seconds,
      samplesPerCpuSec: batch / t.cpuSeconds,
      matmulGflopPerStep: flops / 1e9,
      gflops: gflops(flops, t.seconds),
    };
  } finally {
    step.destroy();
    model.destroy();
  }
}

/**
 * Steps already in place (no upload) submitted one command buffer each, or `perSubmit` steps encoded into one
 * command buffer: what a submission costs. All steps of one command buffer see the same uniforms (the step
 * number, learning rate), which is fine for timing and nothing else.
 */
async function benchSubmission(gpu: GpuContext, variant: MatmulVariant, perSubmit: number): Promise<Row> {
  const model = await benchModel(gpu);
  const step = new SgvbStep(model, { B, optimizer: DEFAULT_OPTIMIZERS.adam, seed: 1 });
  try {
    step.submit(binaryBatches(1, B)[0]);
    const t = await measure(
      async (n) => {
        const elapsed = startClock();
        for (let i = 0; i < n; i++) {
          if (perSubmit === 1) {
            step.submitWith(() => {});
            continue;
          }
          const encoder = gpu.device.createCommandEncoder({ label: 'bench steps' });
          for (let k = 0; k < perSubmit; k++) step.encode(encoder);
          gpu.device.queue.submit([encoder.finish()]);
        }
        await gpu.device.queue.onSubmittedWorkDone();
        return elapsed();
      },
      TARGET_S,
      ROUNDS,
    );
    await gpu.settle();
    return {
      row: 'submission',
      variant,
      label: `${perSubmit} step(s) per submission`,
      perSubmit,
      msPerStep: (t.seconds * 1e3) / perSubmit,
      cpuMsPerStep: (t.cpuSeconds * 1e3) / perSubmit,
    };
  } finally {
    step.destroy();
    model.destroy();
  }
}

/** Right-aligned columns; the first column left-aligned. */
function formatTable(headers: string[], cells: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

const fixed = (x: number | string | boolean, digits: number) => (x as number).toFixed(digits);
/** A device-clock figure, or '—' where the adapter has no timestamp-query. */
const deviceMs = (ms: number | undefined, digits = 3) =>
  ms === undefined || Number.isNaN(ms) ? '—' : ms.toFixed(digits);
const percent = (x: number | string | boolean | undefined) =>
  x === undefined ? '—' : `${((x as number) * 100).toFixed(0)} %`;

/** The default variant's step at B = 100, launch by launch, as a share of the whole step's CPU time. */
function profileReport(launches: Row[], steps: Row[], submissions: Row[]): string {
  if (launches.length === 0) return '';
  const variant = launches[0].variant as string;
  const step = steps.find((r) => r.variant === variant && r.B === B);
  const stepCpuMs = (step?.cpuMsPerStep as number | undefined) ?? NaN;
  const share = (ms: number) => `${((ms / stepCpuMs) * 100).toFixed(1)} %`;
  const families = [...new Set(launches.map((r) => r.kernel as string))];
  const byFamily = families
    .map((k) => ({ k, rows: launches.filter((r) => r.kernel === k) }))
    .map(({ k, rows }) => ({
      k,
      n: rows.length,
      cpu: rows.reduce((a, r) => a + (r.cpuMsPerLaunch as number), 0),
      device: rows.reduce((a, r) => a + ((r.deviceMsPerLaunch as number | undefined) ?? NaN), 0),
    }))
    .sort((a, b) => b.cpu - a.cpu);
  const alone = launches.reduce((a, r) => a + (r.cpuMsPerLaunch as number), 0);
  const aloneDevice = launches.reduce((a, r) => a + ((r.deviceMsPerLaunch as number | undefined) ?? NaN), 0);
  const familyTable = formatTable(
    [`step profile (${variant}, B=${B}, Adam): kernel`, 'launches', 'CPU ms', 'of step', 'device ms'],
    [
      ...byFamily.map((f) => [f.k, `${f.n}`, fixed(f.cpu, 3), share(f.cpu), deviceMs(f.device)]),
      ['all launches timed alone', `${launches.length}`, fixed(alone, 3), share(alone), deviceMs(aloneDevice)],
      ['the step (one submission)', '', fixed(stepCpuMs, 3), '100 %', ''],
    ],
  );
  const others = launches.filter((r) => r.kernel !== 'matmul' && r.kernel !== 'matmul_lanes');
  const launchTable = formatTable(
    ['non-matmul launch', 'workgroups', 'CPU ms', 'of step', 'device ms'],
    others.map((r) => [
      r.label as string,
      `${r.workgroups}`,
      fixed(r.cpuMsPerLaunch, 4),
      share(r.cpuMsPerLaunch as number),
      deviceMs(r.deviceMsPerLaunch as number | undefined, 4),
    ]),
  );
  const submissionTable =
    submissions.length === 0
      ? ''
      : formatTable(
          [`steps per submission (${variant}, B=${B}, data in place)`, 'ms/step', 'CPU ms/step'],
          submissions.map((r) => [r.label as string, fixed(r.msPerStep, 3), fixed(r.cpuMsPerStep, 3)]),
        );
  return ['', familyTable, '', launchTable, '', submissionTable].join('\n');
}

function report(
  ceilingRows: Row[],
  ceilings: Ceilings,
  matmuls: Row[],
  steps: Row[],
  skipped: string[],
  deviceClock: boolean,
): string {
  const c = (label: string) => ceilingRows.find((r) => r.label === label)!;
  const ceilingLines = [
    `ceilings (bench/ceilings.wgsl): arithmetic ${fixed(ceilings.gflops, 2)} GFLOP/s (fma = 2 flops); ` +
      `loads ${fixed(c('load_peak_vec4').gLoadsPerSec, 3)} G vec4/s (${fixed(c('load_peak_vec4').gbPerSec, 1)} GB/s), ` +
      `${fixed(c('load_peak_scalar').gLoadsPerSec, 3)} G f32/s (${fixed(c('load_peak_scalar').gbPerSec, 1)} GB/s)`,
    `  per CPU-second: ${fixed(ceilings.cpu.gflops, 2)} GFLOP, ${fixed(ceilings.cpu.vec4LoadsPerSec / 1e9, 3)} G vec4, ${fixed(ceilings.cpu.f32LoadsPerSec / 1e9, 3)} G f32 ` +
      '(the shares "of arith" and "of loads" and the step ratios use CPU time: a shared machine disturbs it far less than wall time)',
  ];
  const shapeOf = (r: Row) => `${r.M}×${r.K}·${r.K}×${r.N}`;
  const kernelTable = formatTable(
    [
      'matmul (B=100)',
      'shape (M×K·K×N)',
      'op, epilogue',
      'reps',
      'ms/launch',
      'GFLOP/s',
      'GFLOP/CPU-s',
      'of arith',
      'of loads',
      'device ms',
      'GFLOP/device-s',
    ],
    matmuls.map((r) => [
      r.label as string,
      shapeOf(r),
      r.epilogue as string,
      `${r.reps}`,
      fixed(r.msPerLaunch, 3),
      fixed(r.gflops, 2),
      fixed(r.cpuGflops, 2),
      percent(r.ofArithmetic),
      r.ofLoads === undefined ? '—' : `${percent(r.ofLoads)} ${r.loadWidth}`,
      deviceMs(r.deviceMsPerLaunch as number | undefined),
      r.deviceGflops === undefined ? '—' : fixed(r.deviceGflops, 2),
    ]),
  );
  const variants = [...new Set(steps.map((r) => r.variant as string))];
  const stepOf = (v: string, batch: number) => steps.find((r) => r.variant === v && r.B === batch);
  const matmulCpuMs = (v: string) =>
    matmuls.filter((r) => r.variant === v).reduce((s, r) => s + (r.cpuMsPerLaunch as number), 0);
  const stepTable = formatTable(
    [
      'whole step (784-500-20, Adam)',
      ...STEP_BATCHES.flatMap((b) => [`B=${b} samples/s`, 'per CPU-s', '× register']),
      'matmuls alone (CPU time), B=100',
    ],
    variants.map((v) => [
      v,
      ...STEP_BATCHES.flatMap((b) => {
        const [r, base] = [stepOf(v, b), stepOf('register', b)];
        const ratio =
          r && base ? `${fixed((r.samplesPerCpuSec as number) / (base.samplesPerCpuSec as number), 2)}×` : '—';
        return [r ? fixed(r.samplesPerSec, 0) : '—', r ? fixed(r.samplesPerCpuSec, 0) : '—', ratio];
      }),
      stepOf(v, B) ? `${percent(matmulCpuMs(v) / (stepOf(v, B)!.cpuMsPerStep as number))} of the step` : '—',
    ]),
  );
  const dispatches = steps.find((r) => r.B === B)?.dispatches;
  return [
    '',
    ...ceilingLines,
    '',
    kernelTable,
    '',
    `${stepTable}\n(${dispatches} dispatches per step, one submission)`,
    ...skipped.map((x) => `skipped: ${x}`),
    clocksNote(deviceClock),
  ].join('\n');
}

async function main(): Promise<void> {
  const human = JSON_OUT ? console.error : console.log;
  const first = await acquireDevice();
  const a = first.adapter;
  const defaultVariant = matmulVariantOf(first);
  const subgroups = a.subgroups ? `subgroups ${a.subgroups.minSize}–${a.subgroups.maxSize}` : 'no subgroups';
  const deviceClock = hasDeviceClock(first);
  // Print the adapter before the minutes of measuring, so a run shows at once what it is timing.
  human(
    `adapter: ${a.description} (driver: ${a.driver}, ${subgroups}), default matmul variant: ${defaultVariant}, device clock: ${deviceClock ? 'timestamp-query' : 'none (CPU time only)'}${QUICK ? '   [--quick: rough numbers]' : ''}`,
  );
  const adapterRow: Row = {
    row: 'adapter',
    description: a.description,
    driver: a.driver,
    vendor: a.vendor,
    device: a.device,
    isFallbackAdapter: a.isFallbackAdapter,
    matmulVariant: defaultVariant,
    deviceClock,
    quick: QUICK,
  };
  let ceilingRows: Row[];
  let ceilings: Ceilings;
  try {
    ({ ceilings, rows: ceilingRows } = await benchCeilings(first, TARGET_S, ROUNDS));
  } finally {
    first.destroy();
  }
  const matmuls: Row[] = [];
  const steps: Row[] = [];
  const launches: Row[] = [];
  const submissions: Row[] = [];
  const skipped: string[] = [];
  const variants = [
    ...new Set(
      VARIANT_NAMES.map((v) =>
        v === 'default' ? defaultVariant : parseMatmulVariant(v, 'bench/kernels.ts --variants'),
      ),
    ),
  ];
  for (const variant of variants) {
    const gpu = await acquireDevice({ matmulVariant: variant });
    try {
      if (variant === 'lanes' && !lanesSupported(gpu.adapter)) {
        skipped.push(`lanes: this adapter has ${subgroups}; a workgroup of ${LANES} cannot be one subgroup`);
        continue;
      }
      human(`[${variant}] …`);
      const model = await benchModel(gpu);
      const step = new SgvbStep(model, { B, optimizer: DEFAULT_OPTIMIZERS.adam, seed: 1 });
      try {
        matmuls.push(...(await benchStepMatmuls(gpu, step, variant, ceilings)));
        if (PROFILE && variant === defaultVariant) launches.push(...(await benchStepProfile(gpu, step, variant)));
      } finally {
        step.destroy();
        model.destroy();
      }
      for (const batch of STEP_BATCHES)
        steps.push({ ...(await benchStep(gpu, variant, batch)), default: variant === defaultVariant });
      if (PROFILE && variant === defaultVariant)
        for (const k of [1, 8]) submissions.push(await benchSubmission(gpu, variant, k));
    } finally {
      gpu.destroy();
    }
  }
  human(
    report(ceilingRows, ceilings, matmuls, steps, skipped, deviceClock) + profileReport(launches, steps, submissions),
  );
  if (JSON_OUT)
    for (const r of [adapterRow, ...ceilingRows, ...matmuls, ...steps, ...launches, ...submissions])
      console.log(JSON.stringify(r));
}

await main();
