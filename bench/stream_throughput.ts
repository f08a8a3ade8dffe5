/**
 * What the streaming pipeline costs: training samples/s of the same model (784-500-20, Adam, M = 100) on
 * MNIST, fed (a) from data already in memory (Trainer.fit over pre-binarized in-memory minibatches) and
 * (b) through the full streaming pipeline from the IDX file on disk (read, parse, 60k-row shuffle window,
 * minibatch, binarize, upload ring). The pipeline should cost under 10 %: the GPU must not starve.
 *
 * Run:  node --import tsx bench/stream_throughput.ts [--steps N]     (default 300 steps each, after 20 warm-up)
 * Numbers are for comparison within one run on one machine (shared, noisy); never used as test assertions.
 */
import { lastValueFrom, tap } from 'rxjs';
import { mnistFile } from '../src/data/mnist.node.ts';
import { fileSource } from '../src/data/file_source.node.ts';
import { mnistBatches } from './mnist_batches.ts';
import { Trainer } from '../src/train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/train/train_config.ts';
import { trainingRun } from '../src/run/training_run.ts';
import type { RunStepEvent } from '../src/run/training_events.ts';

const stepsFlag = process.argv.indexOf('--steps');
const STEPS = stepsFlag > 0 ? Number(process.argv[stepsFlag + 1]) : 300;
const WARMUP = 20;
const config = { ...DEFAULT_TRAIN_CONFIG };

async function inMemory(): Promise<number> {
  const trainer = await Trainer.create(config);
  try {
    // Materialised before the clock starts: this side measures the GPU with data already in memory.
    const batches = await mnistBatches(config.batch, WARMUP + STEPS);
    await trainer.trainOn(batches.slice(0, WARMUP));
    const started = performance.now();
    await trainer.trainOn(batches.slice(WARMUP));
    return (STEPS * config.batch) / ((performance.now() - started) / 1000);
  } finally {
    trainer.destroy();
  }
}

async function streamed(): Promise<{ sps: number; waiting: number }> {
  const trainer = await Trainer.create(config);
  try {
    const source = fileSource(mnistFile('train'));
    // The clock starts after the warm-up steps, which also absorb the first fill of the shuffle window.
    let warm: { at: number; event: RunStepEvent } | null = null;
    let last: { at: number; event: RunStepEvent } | null = null;
    await lastValueFrom(
      trainingRun(trainer, { source, steps: WARMUP + STEPS, shuffleWindow: 60_000, binarize: true }).pipe(
        tap((e) => {
          if (e.type !== 'step') return;
          last = { at: performance.now(), event: e };
          if (e.step === WARMUP) warm = last;
        }),
      ),
    );
    const [from, to] = [
      warm as { at: number; event: RunStepEvent } | null,
      last as { at: number; event: RunStepEvent } | null,
    ];
    if (from === null || to === null) throw new Error('the warm-up never ended');
    const seconds = (to.at - from.at) / 1000;
    return { sps: (STEPS * config.batch) / seconds, waiting: to.event.waitingForDataPercent };
  } finally {
    trainer.destroy();
  }
}

const memory = await inMemory();
const stream = await streamed();
console.log(`784-500-20, M=${config.batch}, ${STEPS} steps each`);
console.log(`in memory : ${memory.toFixed(0)} samples/s`);
console.log(
  `streamed  : ${stream.sps.toFixed(0)} samples/s (waiting for data ${stream.waiting.toFixed(1)}% of the pass)`,
);
console.log(
  `pipeline cost: ${(100 * (1 - stream.sps / memory)).toFixed(1)}% (streamed / in memory = ${(stream.sps / memory).toFixed(3)})`,
);
