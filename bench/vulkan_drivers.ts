/**
 * lavapipe against SwiftShader: runs bench/kernels.ts --json once per software Vulkan driver, each in its own
 * child process (Dawn loads one Vulkan driver per process), one after the other (run side by side they would
 * share the cores and slow each other down), and prints side by side each matmul's GFLOP/s, the whole SGVB
 * step's samples/s with each driver's default matmul variant, and the ratio lavapipe / SwiftShader (> 1: lavapipe is faster). This is the measurement
 * behind AEVB_VULKAN_ICD=auto preferring the system drivers (lavapipe on a GPU-less Debian box).
 * A driver whose ICD file is missing is skipped with a message.
 *
 * Run:  node --import tsx bench/vulkan_drivers.ts [--quick]
 *   --quick  is passed on to bench/kernels.ts (short, rough measurements, for smoke runs).
 * A full run takes a few minutes, most of it on SwiftShader.
 *
 * The numbers are for comparison within one run on one machine (these machines are shared and noisy); they
 * are never used as test assertions.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KNOWN_ICD_FILES } from '../src/gpu/vulkan_driver.node.ts';

const QUICK = process.argv.includes('--quick');
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const KERNELS_SCRIPT = fileURLToPath(new URL('./kernels.ts', import.meta.url));
const DRIVERS = ['lavapipe', 'swiftshader'] as const;
type Driver = (typeof DRIVERS)[number];

type Row = Record<string, string | number | boolean>;
/** One driver's rows from bench/kernels.ts --json, or why there are none. */
type Outcome = { rows: Row[]; seconds: number } | { skipped: string };

/** Runs bench/kernels.ts --json under one driver; its table (stderr) is kept only to explain a failure. */
function runKernels(driver: Driver): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // The CPU drivers' variants (tiled is ≈4× slower on both), at B = 100 only: SwiftShader is ~25× slower.
  const args = [
    '--import',
    'tsx',
    KERNELS_SCRIPT,
    '--json',
    '--variants',
    'register,lanes',
    '--batches',
    '100',
    ...(QUICK ? ['--quick'] : []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, AEVB_VULKAN_ICD: driver },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function benchDriver(driver: Driver): Promise<Outcome> {
  const icd = KNOWN_ICD_FILES[driver];
  if (!existsSync(icd)) return { skipped: `${icd} is missing (see src/gpu/vulkan_driver.node.ts INSTALL_HINT)` };
  console.error(`[${driver}] running bench/kernels.ts --json${QUICK ? ' --quick' : ''} …`);
  const start = performance.now();
  const result = await runKernels(driver);
  const seconds = (performance.now() - start) / 1000;
  if (result.code !== 0) {
    console.error(result.stderr.split('\n').slice(-20).join('\n'));
    return { skipped: `bench/kernels.ts failed (exit code ${result.code}); its stderr is above` };
  }
  console.error(`[${driver}] done in ${seconds.toFixed(0)} s`);
  // Only lines that are JSON objects: Dawn may print warnings of its own.
  const rows = result.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Row);
  return { rows, seconds };
}

const rowsOf = (o: Outcome | undefined) => (o && 'rows' in o ? o.rows : []);
const find = (o: Outcome | undefined, kind: string, label?: string) =>
  rowsOf(o).find((r) => r.row === kind && (label === undefined || r.label === label));
/** The whole step at B = 100 with the driver's default matmul variant (bench/kernels.ts measures every variant). */
const defaultStep = (o: Outcome | undefined) =>
  rowsOf(o).find((r) => r.row === 'step' && r.default === true && r.B === 100);
const num = (r: Row | undefined, key: string) => (r === undefined ? undefined : (r[key] as number));
const show = (x: number | undefined, digits: number) => (x === undefined ? '—' : x.toFixed(digits));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? undefined : a / b;
const times = (x: number | undefined) => (x === undefined ? '—' : `${x.toFixed(1)}×`);

/** Right-aligned columns; the first column left-aligned. */
function formatTable(headers: string[], cells: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** Kernel rows in the order bench/kernels.ts printed them, under whichever driver ran. */
function kernelLabels(outcomes: Map<Driver, Outcome>): Array<{ kind: string; label: string }> {
  const seen = new Map<string, { kind: string; label: string }>();
  for (const kind of ['matmul']) {
    for (const o of outcomes.values()) {
      for (const r of rowsOf(o).filter((x) => x.row === kind))
        seen.set(`${kind}:${r.label}`, { kind, label: r.label as string });
    }
  }
  return [...seen.values()];
}

function kernelTable(outcomes: Map<Driver, Outcome>): string {
  const [lvp, ss] = [outcomes.get('lavapipe'), outcomes.get('swiftshader')];
  const cells = kernelLabels(outcomes).map(({ kind, label }) => {
    const [a, b] = [num(find(lvp, kind, label), 'gflops'), num(find(ss, kind, label), 'gflops')];
    const r = find(lvp, kind, label) ?? find(ss, kind, label)!;
    return [label, `${r.M}×${r.K}·${r.K}×${r.N}`, show(a, 2), show(b, 3), times(ratio(a, b))];
  });
  const table = formatTable(
    ['kernel (GFLOP/s)', 'shape (M×K·K×N)', 'lavapipe', 'swiftshader', 'lavapipe/swiftshader'],
    cells,
  );
  const gaps = cells.some((c) => c.includes('—'));
  return gaps
    ? `${table}\n— : not measured under that driver (a variant it cannot run, e.g. lanes without subgroups of 8)`
    : table;
}

function stepTable(outcomes: Map<Driver, Outcome>): string {
  const [lvp, ss] = [defaultStep(outcomes.get('lavapipe')), defaultStep(outcomes.get('swiftshader'))];
  const line = (what: string, key: string, digits: number, higherIsBetter: boolean) => {
    const [a, b] = [num(lvp, key), num(ss, key)];
    return [what, show(a, digits), show(b, digits), times(higherIsBetter ? ratio(a, b) : ratio(b, a))];
  };
  return formatTable(
    ['whole SGVB step (784-500-20, B=100, Adam, default variant)', 'lavapipe', 'swiftshader', 'lavapipe/swiftshader'],
    [
      ['matmul variant', `${lvp?.variant ?? '—'}`, `${ss?.variant ?? '—'}`, ''],
      line('samples/s', 'samplesPerSec', 1, true),
      line('ms/step (ratio: swiftshader/lavapipe)', 'msPerStep', 2, false),
      line('effective GFLOP/s of the matmuls', 'gflops', 3, true),
    ],
  );
}

/** The one-line verdict: which driver is faster on the whole step, and by how much. */
function verdict(outcomes: Map<Driver, Outcome>): string {
  const [a, b] = [
    num(defaultStep(outcomes.get('lavapipe')), 'samplesPerSec'),
    num(defaultStep(outcomes.get('swiftshader')), 'samplesPerSec'),
  ];
  if (a === undefined || b === undefined) {
    const ran = DRIVERS.filter((d) => defaultStep(outcomes.get(d)));
    return `verdict: no comparison — only ${ran.length ? ran.join(', ') : 'no driver'} ran.`;
  }
  const [fast, slow, times] = a >= b ? ['lavapipe', 'SwiftShader', a / b] : ['SwiftShader', 'lavapipe', b / a];
  return `verdict: ${fast} is ${times.toFixed(1)}× faster than ${slow} on the whole SGVB step (${a.toFixed(1)} vs ${b.toFixed(1)} samples/s, lavapipe vs SwiftShader)${QUICK ? ' [--quick: rough]' : ''}.`;
}

async function main(): Promise<void> {
  const outcomes = new Map<Driver, Outcome>();
  for (const driver of DRIVERS) outcomes.set(driver, await benchDriver(driver));
  for (const [driver, o] of outcomes) {
    const adapter = find(o, 'adapter');
    console.log(
      `${driver.padEnd(11)}: ${'skipped' in o ? `SKIPPED — ${o.skipped}` : `${adapter?.description} (driver: ${adapter?.driver}), matmul variant ${adapter?.matmulVariant}, benchmark took ${o.seconds.toFixed(0)} s`}`,
    );
  }
  console.log(`\n${kernelTable(outcomes)}\n\n${stepTable(outcomes)}\n\n${verdict(outcomes)}`);
  // A driver that was present but failed is an error; a missing one is only reported.
  if ([...outcomes.values()].some((o) => 'skipped' in o && o.skipped.startsWith('bench/kernels.ts failed')))
    process.exitCode = 1;
}

await main();
