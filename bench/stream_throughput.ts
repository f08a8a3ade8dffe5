/**
 * What the streaming pipeline costs: training samples/s of the same model (784-500-20, Adam, M = 100) on
 * MNIST, fed (a) from data already in memory (Trainer.fit over pre-binarized in-memory minibatches) and
 * (b) through the full streaming pipeline from the IDX file on disk (read, parse, 60k-row shuffle window,
 * minibatch, binarize, upload ring). The pipeline should cost under 10 %: the GPU must not starve.
 *
 * Run:  node --import tsx bench/stream_throughput.ts [--steps N]     (default 300 steps each, after 20 warm-up)
 * Numbers are for comparison within one run on one machine (shared, noisy); never used as test assertions.
 */
import { lastValueFrom, take } from 'rxjs';
import { loadMnist, mnistFile } from '../src/data/mnist.node.ts';
import { trainingBatches } from '../src/data/minibatches.ts';
import { openDataSource } from '../src/data/file_source.node.ts';
import { Trainer } from '../src/train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/train/train_config.ts';
import { Demand } from '../src/stream/demand.ts';
import { trainingStream } from '../src/stream/training_stream.ts';
import { trainOnGpu, type PipelineStats } from '../src/stream/train_on_gpu.ts';
import { STREAM_START } from '../src/stream/positioned_batch.ts';

const stepsFlag = process.argv.indexOf('--steps');
const STEPS = stepsFlag > 0 ? Number(process.argv[stepsFlag + 1]) : 300;
const WARMUP = 20;
const config = { ...DEFAULT_TRAIN_CONFIG };

async function inMemory(): Promise<number> {
  const trainer = await Trainer.create(config);
  try {
    const generator = trainingBatches(loadMnist('train'), config.batch, config.seed, STREAM_START);
    // Materialised before the clock starts: this side measures the GPU with data already in memory.
    const batches = Array.from({ length: WARMUP + STEPS }, () => generator.next().value!.batch.slice());
    await trainer.fit(batches.slice(0, WARMUP));
    const started = performance.now();
    await trainer.fit(batches.slice(WARMUP));
    return (STEPS * config.batch) / ((performance.now() - started) / 1000);
  } finally {
    trainer.destroy();
  }
}

async function streamed(): Promise<{ sps: number; waiting: number }> {
  const trainer = await Trainer.create(config);
  try {
    const source = openDataSource(mnistFile('train'));
    const demand = new Demand();
    const stats: PipelineStats = { waitingForDataMs: 0, elapsedMs: 0 };
    let started = 0;
    const stream = trainingStream({ source, B: config.batch, seed: config.seed, shuffleWindowRows: 60_000, binarize: true, epochs: Infinity, start: STREAM_START }, demand);
    // The clock starts after the warm-up steps, which also absorb the first fill of the shuffle window.
    await lastValueFrom(stream.pipe(take(WARMUP + STEPS), trainOnGpu(trainer, demand, stats, (b) => {
      if (b.step === WARMUP) {
        started = performance.now();
        stats.waitingForDataMs = 0;
      }
    })));
    const seconds = (performance.now() - started) / 1000;
    return { sps: (STEPS * config.batch) / seconds, waiting: (100 * stats.waitingForDataMs) / (seconds * 1000) };
  } finally {
    trainer.destroy();
  }
}

const memory = await inMemory();
const stream = await streamed();
console.log(`784-500-20, M=${config.batch}, ${STEPS} steps each`);
console.log(`in memory : ${memory.toFixed(0)} samples/s`);
console.log(`streamed  : ${stream.sps.toFixed(0)} samples/s (waiting for data ${stream.waiting.toFixed(1)}% of the time)`);
console.log(`pipeline cost: ${(100 * (1 - stream.sps / memory)).toFixed(1)}% (streamed / in memory = ${(stream.sps / memory).toFixed(3)})`);
