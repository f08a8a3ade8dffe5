// The demo page: a thin client of the library's trainingRun, on navigator.gpu. It only turns the run's events
// into pictures and words; epochs, evaluation, resume and stopping are the run's. MNIST is streamed from
// /mnist/ with fetch; a file picked from disk is streamed with File.stream(). URL parameters (used by the
// browser tests) preset the model: ?arch=conv:16,32&hidden=32&latent=2&batch=50&steps=40&evalEvery=20&autostart=1
// (arch: a model of the menu, or any other arch the library takes: conv:C1,C2,… or a layer list as JSON).
import type { Subscription } from 'rxjs';
import {
  acquireDevice,
  Trainer,
  Vae,
  DEFAULT_TRAIN_CONFIG,
  trainingRun,
  urlSource,
  streamSource,
  loadRows,
  rowLengthOf,
  imageGrid,
  pairRows,
  encodeCheckpoint,
  decodeCheckpoint,
  type GpuContext,
  type RowSource,
  type RunState,
  type TrainConfig,
  type GreyImage,
  type TrainingEvent,
  type DataFormat,
} from '../src/index.ts';
import { lineChartSvg } from '../src/io/line_chart.ts';
// The optimizer's own default rate, shown when the config leaves lr to it (one fact: train_config.ts).
import { optimizerOf } from '../src/train/train_config.ts';
import { DEFAULT_ARCH, describeArch, parseArch, type ArchSpec } from '../src/model/layer_specs.ts';
import { shaders } from './shaders.ts';

const query = new URLSearchParams(location.search);
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const TEST_POINTS = 1000;

/** What the page has done, for people (the status line) and for the browser tests (window.__aevb). */
const state = {
  steps: 0,
  train: [] as Array<[number, number]>,
  test: [] as Array<[number, number]>,
  errors: [] as string[],
  done: false,
  /** Settled: nothing is running or loading (the controls are usable). */
  idle: true,
};
(window as unknown as { __aevb: typeof state }).__aevb = state;

let gpu: GpuContext | null = null;
let trainer: Trainer | null = null;
let subscription: Subscription | null = null;
let stop: AbortController | null = null;
/** Where a paused or loaded run continues (undefined: a new run). */
let resume: RunState | undefined;
let testRows: Float32Array | null = null;
let picked: File | null = null;
const status = { step: 0, samplesPerSecond: 0, trainElbo: NaN, testElbo: NaN, device: '' };

/** The model menu's entry for `arch` (one is added for an arch the menu lacks, e.g. a checkpoint's layer list). */
function selectArch(arch: ArchSpec): void {
  const menu = $<HTMLSelectElement>('arch');
  const value = typeof arch === 'string' ? arch : JSON.stringify(arch);
  if (![...menu.options].some((o) => o.value === value))
    menu.add(new Option(typeof arch === 'string' ? arch : `layer list: ${describeArch(arch)}`, value));
  menu.value = value;
  // A layer list says every width itself.
  $<HTMLInputElement>('hidden').disabled = typeof arch !== 'string';
}

/** A menu choice brings its usual hidden width (256 for the conv VAE, as PyTorch's ConvVAE); the field can change it. */
function onArchChosen(): void {
  const menu = $<HTMLSelectElement>('arch');
  const width = menu.selectedOptions[0]?.dataset.hidden;
  if (width !== undefined) $<HTMLInputElement>('hidden').value = width;
  selectArch(parseArch(menu.value));
}

try {
  if (query.has('arch')) {
    selectArch(parseArch(query.get('arch')));
    onArchChosen();
  }
} catch (error) {
  report(error);
}
for (const id of ['hidden', 'latent', 'batch', 'lr']) if (query.has(id)) $<HTMLInputElement>(id).value = query.get(id)!;
const maxSteps = query.has('steps') ? Number(query.get('steps')) : undefined;
const evalEvery = Number(query.get('evalEvery') ?? 200);

/** An error in words that fit the page (the library's messages name files and offsets; flags mean nothing here). */
function report(error: unknown): void {
  const message = (error as Error).message ?? String(error);
  state.errors.push(message);
  $('error').textContent = message
    .replace(/give its format: .*$/, 'choose its format in the menu beside the file picker')
    .replace(/give the values per row \(.*\)/, 'give the values per row beside the format menu')
    // The page has no image-shape field: its conv models take square one-channel images.
    .replace(
      /give the image shape, --image-shape .*$/,
      'choose the MLP in the model menu for rows that are not square images',
    );
  // A warning, not an error: the page handled it (bad input, a failed run), and says so above.
  console.warn(`aevb: ${message}`);
  setControls('idle');
}

function setControls(mode: 'idle' | 'running' | 'busy'): void {
  state.idle = mode === 'idle';
  // The fields show the model in training (or loaded): a new one is chosen after Reset.
  $<HTMLFieldSetElement>('model').disabled = mode === 'busy' || trainer !== null;
  $('model-note').hidden = trainer === null;
  $<HTMLButtonElement>('start').disabled = mode !== 'idle';
  $<HTMLButtonElement>('pause').disabled = mode !== 'running';
  $<HTMLButtonElement>('reset').disabled = mode === 'busy';
  $<HTMLButtonElement>('save').disabled = mode === 'busy' || trainer === null;
  $<HTMLInputElement>('load').disabled = mode === 'busy';
  $('loading').hidden = mode !== 'busy';
}

function showStatus(): void {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');
  $('status').textContent =
    trainer === null
      ? 'ready'
      : `step ${status.step} · train ELBO ${f(status.trainElbo)} · test ELBO ${f(status.testElbo)} nats · ${status.samplesPerSecond.toFixed(0)} images/s · ${status.device}`;
}

async function device(): Promise<GpuContext> {
  gpu ??= await acquireDevice({ shaders, onError: (e) => report(e) });
  status.device = gpu.adapter.description || gpu.adapter.architecture;
  return gpu;
}

function trainSource(): RowSource {
  if (picked === null) return urlSource('/mnist/train-images-idx3-ubyte');
  const file = picked;
  const format = $<HTMLSelectElement>('format').value as DataFormat;
  const dim = format.startsWith('raw') ? Number($<HTMLInputElement>('dim').value) : undefined;
  return streamSource(file.name, () => file.stream() as ReadableStream<Uint8Array>, { format, dim });
}

function configFromInputs(D: number): TrainConfig {
  const read = (id: string) => Number($<HTMLInputElement>(id).value);
  return {
    ...DEFAULT_TRAIN_CONFIG,
    D,
    arch: parseArch($<HTMLSelectElement>('arch').value),
    hidden: [read('hidden')],
    latent: read('latent'),
    batch: read('batch'),
    lr: read('lr') || null,
  };
}

function showConfig(c: TrainConfig): void {
  selectArch(c.arch ?? DEFAULT_ARCH);
  $<HTMLInputElement>('hidden').value = String(c.hidden[0]);
  $<HTMLInputElement>('latent').value = String(c.latent);
  $<HTMLInputElement>('batch').value = String(c.batch);
  $<HTMLInputElement>('lr').value = String(optimizerOf(c).lr);
}

function drawGrey(canvasId: string, image: GreyImage): void {
  const canvas = $<HTMLCanvasElement>(canvasId);
  const scratch = document.createElement('canvas');
  scratch.width = image.width;
  scratch.height = image.height;
  const data = new ImageData(image.width, image.height);
  image.pixels.forEach((v, i) => data.data.set([v, v, v, 255], 4 * i));
  scratch.getContext('2d')!.putImageData(data, 0, 0);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(scratch, 0, 0, canvas.width, canvas.height);
}

/** The same chart code as the CLI's curves.png: titled axes, ticks with distinct labels, a legend. */
function drawPlot(): void {
  const series = [
    { name: 'train (minibatch)', points: state.train },
    { name: 'test', points: state.test },
  ].filter((s) => s.points.length > 0);
  $('plot').innerHTML =
    state.train.length + state.test.length < 2
      ? ''
      : lineChartSvg({
          title: 'ELBO while training',
          xLabel: 'training images seen',
          yLabel: 'ELBO (nats per image)',
          series,
          xScale: 'linear',
          width: 560,
          height: 320,
        });
}

/** The test set: the first 1000 MNIST test images, binarized once; used only when the rows have their length. */
async function testSet(D: number): Promise<Float32Array | null> {
  testRows ??= await loadRows(urlSource('/mnist/t10k-images-idx3-ubyte'), { maxRows: TEST_POINTS, binarize: true });
  return testRows.length === TEST_POINTS * D ? testRows : null;
}

async function drawPictures(model: Vae): Promise<void> {
  const { D, Z } = model.architecture;
  const test = await testSet(D);
  const side = Math.round(Math.sqrt(D));
  if (side * side !== D) return; // rows that are not square images have no pictures
  if (test !== null)
    drawGrey(
      'reconstructions',
      imageGrid(pairRows(test.subarray(0, 50 * D), await model.reconstruct(test.subarray(0, 50 * D)), D, 10), D, 10),
    );
  drawGrey('samples', imageGrid(await model.sample(100, 1), D, 10));
  $('manifold-caption').textContent =
    Z === 2
      ? 'The learned manifold: decoded means over a 15 × 15 grid of latent points (Φ⁻¹ of an even grid).'
      : `The learned manifold is drawn for Z = 2 only (this model has Z = ${Z}).`;
  if (Z === 2) drawGrey('manifold', imageGrid(await model.latentGrid(15), D, 15, 0));
}

function onEvent(t: Trainer, e: TrainingEvent): void {
  switch (e.type) {
    case 'step':
      state.steps = status.step = e.step;
      status.samplesPerSecond = e.samplesPerSecond;
      showStatus();
      break;
    case 'metrics':
      state.train.push([e.samples, e.elbo]);
      status.trainElbo = e.elbo;
      drawPlot();
      break;
    case 'evaluation':
      state.test.push([e.samples, e.results.test.elbo]);
      status.testElbo = e.results.test.elbo;
      showStatus();
      drawPlot();
      void drawPictures(t.model).catch(report);
      break;
    case 'done':
      resume = e.state;
      if (e.reason === 'finished')
        void drawPictures(t.model).then(() => {
          state.done = true;
        }, report);
      break;
  }
}

async function start(): Promise<void> {
  $('error').textContent = '';
  setControls('busy');
  const source = trainSource();
  if (trainer === null) {
    trainer = await Trainer.create(configFromInputs(await rowLengthOf(source)), { gpu: await device() });
    resume = undefined;
  }
  const t = trainer;
  const test = await testSet(t.config.D);
  stop = new AbortController();
  setControls('running');
  subscription = trainingRun(t, {
    source,
    epochs: Infinity,
    steps: maxSteps,
    shuffleWindow: 10_000,
    evaluate: test === null ? {} : { test },
    evaluateEvery: evalEvery,
    metricsEvery: 10,
    signal: stop.signal,
    resume,
  }).subscribe({ next: (e) => onEvent(t, e), error: report, complete: () => setControls('idle') });
}

/** Stops taking minibatches; resolves once the run has handed back where it stands. */
async function pause(): Promise<void> {
  if (subscription === null) return;
  const running = subscription;
  const ended = new Promise<void>((resolve) => running.add(resolve));
  stop?.abort();
  await ended;
  subscription = null;
}

async function reset(): Promise<void> {
  subscription?.unsubscribe();
  subscription = null;
  trainer?.destroy();
  trainer = null;
  resume = undefined;
  Object.assign(state, { steps: 0, train: [], test: [], done: false });
  Object.assign(status, { step: 0, samplesPerSecond: 0, trainElbo: NaN, testElbo: NaN });
  $('error').textContent = '';
  drawPlot();
  showStatus();
  setControls('idle');
}

async function save(): Promise<void> {
  if (trainer === null) return;
  await pause();
  const bytes = encodeCheckpoint({ snapshot: await trainer.snapshot(), run: resume ?? null });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([new Uint8Array(bytes)]));
  link.download = 'checkpoint.safetensors';
  link.click();
  (window as unknown as { __aevbSaved: Uint8Array }).__aevbSaved = bytes;
}

async function load(file: File): Promise<void> {
  await reset();
  setControls('busy');
  $('status').textContent = `loading ${file.name} (${(file.size / 1e6).toFixed(1)} MB)…`;
  const checkpoint = decodeCheckpoint(new Uint8Array(await file.arrayBuffer()), file.name);
  trainer = await Trainer.create(checkpoint.snapshot.config, { gpu: await device() });
  await trainer.restore(checkpoint.snapshot, file.name);
  resume = checkpoint.run ?? undefined;
  showConfig(checkpoint.snapshot.config);
  Object.assign(status, { step: trainer.step });
  await drawPictures(trainer.model);
  showStatus();
  setControls('idle');
}

const guarded = (f: () => Promise<void> | void) => () => Promise.resolve().then(f).catch(report);
$('start').addEventListener('click', guarded(start));
$('pause').addEventListener('click', guarded(pause));
$('reset').addEventListener('click', guarded(reset));
$('save').addEventListener('click', guarded(save));
$<HTMLInputElement>('load').addEventListener(
  'change',
  guarded(async () => {
    const file = $<HTMLInputElement>('load').files?.[0];
    if (file) await load(file);
  }),
);
$<HTMLInputElement>('file').addEventListener(
  'change',
  guarded(async () => {
    picked = $<HTMLInputElement>('file').files?.[0] ?? null;
    await reset();
  }),
);
$<HTMLSelectElement>('arch').addEventListener('change', guarded(onArchChosen));
$<HTMLSelectElement>('format').addEventListener('change', () => {
  $('dim-label').hidden = !$<HTMLSelectElement>('format').value.startsWith('raw');
});
if (query.get('autostart') === '1') void guarded(start)();

/** For the browser test: decoder means of `z` under a checkpoint's bytes (written by the Node CLI). */
(window as unknown as { __aevbDecodeCheckpoint: unknown }).__aevbDecodeCheckpoint = async (
  bytes: number[],
  z: number[],
): Promise<number[]> => {
  const model = await Vae.fromCheckpoint(decodeCheckpoint(Uint8Array.from(bytes), 'checkpoint from Node'), {
    gpu: await device(),
  });
  try {
    return Array.from(await model.decode(Float32Array.from(z)));
  } finally {
    model.destroy();
  }
};
