// The demo page: the same Trainer, kernels and streaming pipeline as the Node CLI, on navigator.gpu. MNIST is
// streamed from /mnist/ with fetch; a file picked from disk is streamed with File.stream(). URL parameters
// (used by the browser tests) preset the model: ?hidden=32&latent=2&batch=50&steps=40&evalEvery=20&autostart=1
import type { Subscription } from 'rxjs';
import {
  acquireDevice, Trainer, DEFAULT_TRAIN_CONFIG, urlSource, parsedSource, readableStreamBytes, rowParserFor,
  Demand, trainingStream, trainOnGpu, STREAM_START, Vae, imageGrid, pairRows,
  encodeCheckpoint, decodeCheckpoint, type GpuContext, type RowSource, type StreamPosition, type TrainConfig, type GreyImage,
} from '../src/index.ts';
import { binarizeRowsOnce, readAllRows, rowLengthOf, TEST_BINARIZATION_SEED } from '../src/data/read_rows.ts';
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
};
(window as unknown as { __aevb: typeof state }).__aevb = state;

let gpu: GpuContext | null = null;
let trainer: Trainer | null = null;
let subscription: Subscription | null = null;
let position: StreamPosition = STREAM_START;
let testRows: Float32Array | null = null;
let picked: File | null = null;

for (const id of ['hidden', 'latent', 'batch', 'lr']) if (query.has(id)) $<HTMLInputElement>(id).value = query.get(id)!;
const maxSteps = Number(query.get('steps') ?? Infinity);
const evalEvery = Number(query.get('evalEvery') ?? 200);

function report(message: string): void {
  state.errors.push(message);
  $('status').textContent = `error: ${message}`;
  console.error(`aevb: ${message}`);
}

async function device(): Promise<GpuContext> {
  gpu ??= await acquireDevice({ shaders, onError: (e) => report(e.message) });
  return gpu;
}

function trainSource(): RowSource {
  if (picked === null) return urlSource('/mnist/train-images-idx3-ubyte');
  const file = picked;
  return parsedSource(file.name, () => readableStreamBytes(file.stream() as ReadableStream<Uint8Array>), rowParserFor(file.name));
}

function configFromInputs(D: number): TrainConfig {
  const read = (id: string) => Number($<HTMLInputElement>(id).value);
  return { ...DEFAULT_TRAIN_CONFIG, D, hidden: [read('hidden')], latent: read('latent'), batch: read('batch'), lr: read('lr') || null };
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

function drawPlot(): void {
  const canvas = $<HTMLCanvasElement>('plot');
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const all = [...state.train, ...state.test];
  if (all.length < 2) return;
  const [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  const [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  const px = (x: number) => 40 + ((x - x0) / (x1 - x0 || 1)) * (canvas.width - 50);
  const py = (y: number) => 10 + (1 - (y - y0) / (y1 - y0 || 1)) * (canvas.height - 30);
  ctx.fillStyle = '#444';
  ctx.fillText(`${y1.toFixed(1)}`, 2, 14);
  ctx.fillText(`${y0.toFixed(1)}`, 2, canvas.height - 20);
  ctx.fillText(`ELBO (nats) vs samples: ${x1}`, 40, canvas.height - 5);
  for (const [series, colour] of [[state.train, '#999'], [state.test, '#c00']] as const) {
    ctx.strokeStyle = colour;
    ctx.beginPath();
    series.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(px(x), py(y)) : ctx.lineTo(px(x), py(y))));
    ctx.stroke();
  }
}

async function evaluateAndDraw(): Promise<void> {
  if (trainer === null) return;
  testRows ??= binarizeRowsOnce((await readAllRows(urlSource('/mnist/t10k-images-idx3-ubyte'), TEST_POINTS)).values, TEST_BINARIZATION_SEED);
  const { D, Z } = trainer.model.architecture;
  if (testRows.length / TEST_POINTS === D) {
    const result = await trainer.evaluate(testRows);
    state.test.push([trainer.step * trainer.config.batch, result.elbo]);
    drawGrey('reconstructions', imageGrid(pairRows(testRows.subarray(0, 50 * D), await trainer.model.reconstruct(testRows.subarray(0, 50 * D)), D, 10), D, 10));
  }
  drawGrey('samples', imageGrid(await trainer.model.sample(100, 1), D, 10));
  if (Z === 2) drawGrey('manifold', imageGrid(await trainer.model.latentGrid(15), D, 15, 0));
  drawPlot();
}

async function start(): Promise<void> {
  $<HTMLButtonElement>('start').disabled = true;
  $<HTMLButtonElement>('pause').disabled = false;
  $<HTMLButtonElement>('save').disabled = false;
  const source = trainSource();
  if (trainer === null) {
    trainer = await Trainer.create(configFromInputs(await rowLengthOf(source)), { gpu: await device() });
    trainer.watchMetrics((m) => { state.train.push([m.step * trainer!.config.batch, m.elbo]); drawPlot(); });
    trainer.metricsEvery = 10;
  }
  const t = trainer;
  const demand = new Demand();
  const stats = { waitingForDataMs: 0, elapsedMs: 0 };
  const started = performance.now();
  const first = t.step;
  const stream = trainingStream({ source, B: t.config.batch, seed: t.config.seed, shuffleWindowRows: 10_000, binarize: true, epochs: Infinity, start: position }, demand);
  subscription = stream.pipe(trainOnGpu(t, demand, stats, async (b) => {
    position = { epoch: b.epoch, index: b.index + 1, step: b.step + 1 };
    state.steps = b.step;
    const rate = ((b.step - first) * t.config.batch) / ((performance.now() - started) / 1000);
    $('status').textContent = `step ${b.step} · epoch ${b.epoch + 1} · ${rate.toFixed(0)} samples/s · ${t.gpu.adapter.description || t.gpu.adapter.architecture}`;
    if (b.step % evalEvery === 0) await evaluateAndDraw();
    if (b.step >= maxSteps) {
      pause();
      await t.settle();
      await evaluateAndDraw();
      state.done = true;
    }
  })).subscribe({ error: (e) => report((e as Error).message) });
}

function pause(): void {
  subscription?.unsubscribe();
  subscription = null;
  $<HTMLButtonElement>('start').disabled = false;
  $<HTMLButtonElement>('pause').disabled = true;
}

function reset(): void {
  pause();
  trainer?.destroy();
  trainer = null;
  position = STREAM_START;
  Object.assign(state, { steps: 0, train: [], test: [], done: false });
  drawPlot();
  $('status').textContent = 'ready';
}

async function save(): Promise<void> {
  if (trainer === null) return;
  const bytes = encodeCheckpoint({ snapshot: await trainer.snapshot(), extra: { position } });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([new Uint8Array(bytes)]));
  link.download = 'checkpoint.safetensors';
  link.click();
}

async function load(file: File): Promise<void> {
  reset();
  const checkpoint = decodeCheckpoint(new Uint8Array(await file.arrayBuffer()), file.name);
  trainer = await Trainer.create(checkpoint.snapshot.config, { gpu: await device() });
  await trainer.restore(checkpoint.snapshot, file.name);
  position = (checkpoint.extra.position as StreamPosition | undefined) ?? STREAM_START;
  await evaluateAndDraw();
  $('status').textContent = `loaded ${file.name} at step ${trainer.step}`;
}

const guarded = (f: () => Promise<void> | void) => () => Promise.resolve().then(f).catch((e) => report((e as Error).message));
$('start').addEventListener('click', guarded(start));
$('pause').addEventListener('click', guarded(pause));
$('reset').addEventListener('click', guarded(reset));
$('save').addEventListener('click', guarded(save));
$<HTMLInputElement>('load').addEventListener('change', guarded(async () => {
  const file = $<HTMLInputElement>('load').files?.[0];
  if (file) await load(file);
}));
$<HTMLInputElement>('file').addEventListener('change', () => {
  picked = $<HTMLInputElement>('file').files?.[0] ?? null;
  reset();
});
if (query.get('autostart') === '1') void guarded(start)();

/** For the browser test: decoder means of `z` under a checkpoint's bytes (written by the Node CLI). */
(window as unknown as { __aevbDecodeCheckpoint: unknown }).__aevbDecodeCheckpoint = async (bytes: number[], z: number[]): Promise<number[]> => {
  const checkpoint = decodeCheckpoint(Uint8Array.from(bytes), 'checkpoint from Node');
  const model = await Vae.fromCheckpoint(checkpoint, { gpu: await device(), source: 'checkpoint from Node' });
  try {
    return Array.from(await model.decode(Float32Array.from(z)));
  } finally {
    model.destroy();
  }
};
