/**
 * What the host side can feed a GPU, with the device taken out of the picture (Dawn's null backend: every call
 * is accepted and nothing runs on the device):
 *   1. data: rows/s from a file on disk through the run's data side (parse, 60k-row shuffle window, minibatches
 *      of 100) into filled upload-ring slots — MNIST IDX, the same rows as a float32 .npy and as IDX.gz; once
 *      without the step's input preparation (which belongs on the GPU) and once with today's CPU binarization;
 *   2. host time per step: the default 784-500-20 model at M = 100, byte minibatches binarized on the GPU,
 *      steps queued back to back (dispatches and submissions per step printed), on the null backend, so the
 *      figure is JavaScript + Dawn alone (wall time, and CPU time of this process).
 * Targets (issue 20): ≥ 1 000 000 rows/s, ≤ 100 µs per step.
 *
 * Run:  node --import tsx bench/pipeline_throughput.ts [--rows N] [--steps N] [--json]
 * With --json the last line is one JSON object: { rowsPerSecond (MNIST IDX from disk), hostMicrosecondsPerStep, … }.
 * Figures are for comparison within one run on one machine; never used as test assertions.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { mnistFile } from '../src/data/mnist.node.ts';
import { fileSource } from '../src/data/file_source.node.ts';
import { readAllRows } from '../src/data/read_rows.ts';
import type { RowSource } from '../src/data/row_source.ts';
import { epochBatches } from '../src/stream/epoch_batches.ts';
import { StepInput } from '../src/stream/step_input.ts';
import { UploadRing } from '../src/gpu/upload_ring.ts';
import { acquireDevice, type GpuContext } from '../src/gpu/device.ts';
import { Trainer } from '../src/train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/train/train_config.ts';
import { RUN_DEFAULTS } from '../src/run/run_defaults.ts';
import { npyBytes } from '../test/npy_writer.ts';

const flag = (name: string, fallback: number) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback;
const ROWS = flag('--rows', 120_000);
const STEPS = flag('--steps', 2000);
const JSON_OUT = process.argv.includes('--json');
const B = DEFAULT_TRAIN_CONFIG.batch;
const D = 784;

/**
 * Rows per second (wall, and per CPU-second of this process: the box is shared) from `source` to filled ring
 * slots, after a warm-up of one window fill. The minibatches go in as the source gave them (bytes stay bytes),
 * or with `prepare` as today's run makes them: scaled and binarized to float32 on the CPU.
 */
async function rowsPerSecond(
  gpu: GpuContext,
  source: RowSource,
  prepare: boolean,
): Promise<{ wall: number; cpu: number }> {
  const ring = new UploadRing(gpu, 3, B * D * 4, 'bench ring');
  const input = new StepInput('binarized', 1);
  const warmup = RUN_DEFAULTS.shuffleWindow + 10 * B;
  let rows = 0;
  let started = 0;
  let cpu = process.cpuUsage();
  let step = 0;
  try {
    for (let epoch = 0; rows < warmup + ROWS; epoch++) {
      for await (const batch of epochBatches(
        { source, B, seed: 1, shuffleWindowRows: RUN_DEFAULTS.shuffleWindow },
        epoch,
      )) {
        const slot = await ring.acquire();
        ring.write(slot, prepare ? input.prepare(batch, ++step) : batch.data);
        ring.release(slot);
        rows += B;
        if (rows === warmup) [started, cpu] = [performance.now(), process.cpuUsage()];
        if (rows >= warmup + ROWS) break;
      }
    }
    await ring.drain();
    const used = process.cpuUsage(cpu);
    return { wall: ROWS / ((performance.now() - started) / 1000), cpu: ROWS / ((used.user + used.system) / 1e6) };
  } finally {
    ring.destroy();
  }
}

/**
 * Host µs per step of the default model, queued back to back on the null backend, as the run queues them: a
 * minibatch of bytes that the step binarizes on the GPU (step_input).
 */
async function hostPerStep(gpu: GpuContext): Promise<{ micros: number; cpuMicros: number; dispatches: number }> {
  const trainer = await Trainer.create({ ...DEFAULT_TRAIN_CONFIG, D }, { gpu });
  try {
    trainer.metricsEvery = 0; // the null backend's read-backs are garbage: nothing is read
    const batch = { data: new Uint8Array(B * D).fill(128), D, scale: 1 / 255 };
    for (let i = 0; i < 100; i++) await trainer.enqueueMinibatch(batch, 'binarized');
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (let i = 0; i < STEPS; i++) await trainer.enqueueMinibatch(batch, 'binarized');
    const used = process.cpuUsage(cpu);
    const micros = (1000 * (performance.now() - started)) / STEPS;
    // The step's plan, plus the step_input launch before it.
    return {
      micros,
      cpuMicros: (used.user + used.system) / STEPS,
      dispatches: (trainer as unknown as { sgvb: { plan: unknown[] } }).sgvb.plan.length + 1,
    };
  } finally {
    await gpu.settle();
    trainer.destroy();
  }
}

const gpu = await acquireDevice({ backend: 'null' });
const dir = mkdtempSync(join(tmpdir(), 'aevb-pipeline-'));
try {
  const idx = mnistFile('train');
  const { values } = await readAllRows(fileSource(idx));
  const npy = join(dir, 'train.npy');
  writeFileSync(
    npy,
    npyBytes(
      '<f4',
      [values.length / D, D],
      Float32Array.from(values, (v) => v),
    ),
  );
  const gz = join(dir, 'train-images-idx3-ubyte.gz');
  writeFileSync(gz, gzipSync(readFileSync(idx)));
  const figures = {
    idx: await rowsPerSecond(gpu, fileSource(idx), false),
    npyF32: await rowsPerSecond(gpu, fileSource(npy), false),
    idxGz: await rowsPerSecond(gpu, fileSource(gz), false),
    idxCpuBinarized: await rowsPerSecond(gpu, fileSource(idx), true),
  };
  const step = await hostPerStep(gpu);
  console.log(
    `data side to filled upload slots (B = ${B}, ${RUN_DEFAULTS.shuffleWindow}-row window, ${ROWS} rows after a warm-up), null backend:`,
  );
  const line = (name: string, f: { wall: number; cpu: number }, note = '') =>
    console.log(
      `  ${name.padEnd(22)} ${f.wall.toFixed(0).padStart(9)} rows/s   ${f.cpu.toFixed(0).padStart(9)} rows per CPU-second${note}`,
    );
  line('MNIST IDX', figures.idx);
  line('float32 .npy', figures.npyF32);
  line('IDX.gz', figures.idxGz);
  line(
    'IDX + CPU binarizing',
    figures.idxCpuBinarized,
    "   (scaled and binarized to float32 on the CPU, as the run does without the GPU's step_input)",
  );
  console.log(
    `host per step, 784-500-20 at M = ${B}: ${step.micros.toFixed(1)} µs wall, ${step.cpuMicros.toFixed(1)} µs CPU (${step.dispatches} dispatches, 1 submission per step)`,
  );
  if (JSON_OUT) {
    console.log(
      JSON.stringify({
        rowsPerSecond: Math.round(figures.idx.wall),
        rowsPerCpuSecond: Math.round(figures.idx.cpu),
        npyF32RowsPerSecond: Math.round(figures.npyF32.wall),
        idxGzRowsPerSecond: Math.round(figures.idxGz.wall),
        cpuBinarizedRowsPerSecond: Math.round(figures.idxCpuBinarized.wall),
        hostMicrosecondsPerStep: Number(step.micros.toFixed(1)),
        hostCpuMicrosecondsPerStep: Number(step.cpuMicros.toFixed(1)),
        dispatchesPerStep: step.dispatches,
        submissionsPerStep: 1,
      }),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  gpu.destroy();
}
