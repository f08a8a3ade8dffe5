// Node-only: what `aevb train` does — data streamed in, a trained VAE, a metrics log and checkpoints out.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, take } from 'rxjs';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from '../io/checkpoint.node.ts';
import { Trainer } from '../train/trainer.ts';
import { matmulVariantOf } from '../kernels/matmul_variant.ts';
import { optimizerOf, validateTrainConfig, type TrainConfig } from '../train/train_config.ts';
import { Demand } from '../stream/demand.ts';
import { trainingStream } from '../stream/training_stream.ts';
import { trainOnGpu, type PipelineStats } from '../stream/train_on_gpu.ts';
import { STREAM_START, type PositionedBatch, type StreamPosition } from '../stream/positioned_batch.ts';
import { setUpData } from './data_setup.node.ts';
import { binarizeRowsOnce, readAllRows, TEST_BINARIZATION_SEED } from '../data/read_rows.ts';
import { Progress } from './progress.node.ts';
import { writePictures } from './pictures.node.ts';
import type { RunSettings } from './train_options.node.ts';

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** On --resume the checkpoint's config wins; a model flag given on the command line must agree with it. */
function resumedConfig(config: TrainConfig, checkpoint: Checkpoint, given: Set<string>, directory: string): TrainConfig {
  const saved = checkpoint.snapshot.config;
  for (const flag of given) {
    const key = flag as keyof TrainConfig;
    if (key in saved && JSON.stringify(config[key]) !== JSON.stringify(saved[key])) {
      throw new Error(`--resume ${directory}: the checkpoint was trained with --${kebab(flag)} ${saved[key]}, not ${config[key]}; ` +
        'a run can only be continued with its own model and optimizer (drop the flag, or start a new run with --out)');
    }
  }
  return saved;
}

/** Where a checkpoint says the stream continues (the next unseen minibatch). */
function positionOf(checkpoint: Checkpoint): StreamPosition {
  const p = checkpoint.extra.position as StreamPosition | undefined;
  if (p === undefined || p.step !== checkpoint.snapshot.step + 1) {
    throw new Error(`the checkpoint at step ${checkpoint.snapshot.step} does not record its position in the data stream`);
  }
  return p;
}

/** The data settings a run was started with: a resume reads the same data the same way unless told otherwise. */
const STREAM_SETTINGS = ['data', 'testData', 'format', 'dim', 'binarize', 'shuffleWindow'] as const;
/** These change which minibatches come next, so a resume may not change them. */
const SEQUENCE_SETTINGS = new Set(['binarize', 'shuffleWindow']);

function resumedRun(run: RunSettings, checkpoint: Checkpoint, given: Set<string>, directory: string): RunSettings {
  const saved = checkpoint.extra.stream as Partial<RunSettings> | undefined;
  if (saved === undefined) return run;
  const merged: RunSettings = { ...run };
  for (const key of STREAM_SETTINGS) {
    if (!given.has(key)) (merged as unknown as Record<string, unknown>)[key] = saved[key] ?? null;
    else if (SEQUENCE_SETTINGS.has(key) && saved[key] !== run[key]) {
      throw new Error(`--resume ${directory}: the run was streamed with --${kebab(key)} ${saved[key]}, not ${run[key]}; changing it would change the minibatches`);
    }
  }
  merged.dim ??= undefined;
  return merged;
}

export async function runTraining(requested: TrainConfig, requestedRun: RunSettings, given: Set<string>): Promise<void> {
  const checkpoint = requestedRun.resume === null ? null : readCheckpoint(requestedRun.resume);
  const run = checkpoint === null ? requestedRun : resumedRun(requestedRun, checkpoint, given, requestedRun.resume!);
  const seed = checkpoint?.snapshot.config.seed ?? requested.seed;
  const data = await setUpData({ ...run, seed });
  const config = checkpoint === null ? { ...requested, D: data.D } : resumedConfig(requested, checkpoint, given, run.resume!);
  if (config.D !== data.D) throw new Error(`${data.train.name}: rows have ${data.D} values, but the checkpoint's model expects D = ${config.D}`);
  validateTrainConfig(config);
  const savedTotal = checkpoint?.extra.totalSteps;
  const totalSteps = run.samples !== null ? Math.ceil(run.samples / config.batch)
    : checkpoint !== null && !given.has('epochs') && typeof savedTotal === 'number' ? savedTotal : null;
  const epochs = totalSteps === null ? run.epochs : Infinity;

  const trainer = await Trainer.create(config, { acquire: { vulkanDriver: run.vulkanDriver } });
  try {
    if (checkpoint !== null) await trainer.restore(checkpoint.snapshot, join(run.resume!, 'checkpoint.safetensors'));
    let position = checkpoint === null ? STREAM_START : positionOf(checkpoint);
    mkdirSync(run.out, { recursive: true });
    const log = (record: object) => appendFileSync(join(run.out, 'metrics.jsonl'), `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
    const opt = optimizerOf(config);
    console.log(`aevb: ${config.D}-${config.hidden.join('-')}-${config.latent} VAE (${config.activation}, ${config.init} init, ${opt.kind} lr ${opt.lr}, ` +
      `M=${config.batch}, ${trainer.parameterCount} parameters, ${config.likelihood} decoder, estimator ${config.estimator}) on ${data.description}, ${run.binarize ? 'dynamically binarized' : 'grey levels'}`);
    console.log(`device: ${trainer.gpu.adapter.description} [${trainer.gpu.adapter.driver}], matmul ${matmulVariantOf(trainer.gpu)}`);
    if (checkpoint !== null) console.log(`resuming from ${run.resume} at step ${trainer.step} (epoch ${position.epoch + 1}, minibatch ${position.index + 1})`);
    log({ type: 'start', config, totalSteps, epochs, resumedAt: checkpoint === null ? null : trainer.step, adapter: trainer.gpu.adapter });

    // The lower bound on a fixed slice of the training set, binarized once (the paper's train curve).
    const trainRows = (run.trainBoundRows ?? 0) > 0
      ? await readAllRows(data.train, run.trainBoundRows).then((r) => (run.binarize ? binarizeRowsOnce(r.values, TEST_BINARIZATION_SEED) : r.values))
      : null;
    let saved: { step: number; path: string } | null = null;
    const save = async () => {
      if (saved?.step !== trainer.step) {
        const stream = Object.fromEntries(STREAM_SETTINGS.map((k) => [k, run[k] ?? null]));
        const extra = { totalSteps: totalSteps ?? undefined, position, stream, samples: trainer.step * config.batch };
        saved = { step: trainer.step, path: writeCheckpoint(run.out, { snapshot: await trainer.snapshot(), extra }) };
      }
      return saved.path;
    };
    let interrupted = false;
    const onInterrupt = () => { interrupted = true; };
    process.once('SIGINT', onInterrupt);
    const unwatch = trainer.watchMetrics((m) => log({ type: 'train', ...m, samples: m.step * config.batch }));
    trainer.metricsEvery = run.metricsEvery;

    // Steps per epoch: known for the bundled MNIST, else learned from the first whole epoch (for the bar).
    let stepsPerEpoch = data.rowsPerEpoch === null ? null : Math.floor(data.rowsPerEpoch / config.batch);
    // One stream per epoch, so the test ELBO and the checkpoint come between epochs while nothing flows.
    while (position.epoch < epochs && !interrupted && (totalSteps === null || trainer.step < totalSteps)) {
      const epoch = position.epoch;
      const demand = new Demand();
      const stats: PipelineStats = { waitingForDataMs: 0, elapsedMs: 0 };
      const barTotal = totalSteps ?? (stepsPerEpoch === null ? null : (epoch + 1) * stepsPerEpoch);
      const progress = new Progress(epoch, barTotal, trainer, config.batch, stats);
      const unwatchBar = trainer.watchMetrics((m) => progress.metrics(m.elbo));
      const stream = trainingStream({ source: data.train, B: config.batch, seed: config.seed, shuffleWindowRows: run.shuffleWindow,
        binarize: run.binarize, epochs: epoch + 1, start: position }, demand);
      const remaining = totalSteps === null ? Infinity : totalSteps - trainer.step;
      const startStep = trainer.step;
      // Checkpoints are written from inside the sink, so no other step is queued while one is taken.
      const afterStep = async (b: PositionedBatch) => {
        position = { epoch: b.epoch, index: b.index + 1, step: b.step + 1 };
        progress.step();
        if (interrupted) throw new Interrupted();
        if (run.checkpointEvery > 0 && b.step % run.checkpointEvery === 0) await save();
      };
      try {
        await lastValueFrom(stream.pipe(take(remaining), trainOnGpu(trainer, demand, stats, afterStep)), { defaultValue: null });
      } catch (error) {
        if (!(error instanceof Interrupted)) throw error;
      } finally {
        progress.stop();
        unwatchBar();
      }
      const endOfEpoch = !interrupted && (totalSteps === null || trainer.step < totalSteps);
      if (endOfEpoch) {
        stepsPerEpoch ??= position.index; // the next batch's index at an epoch's end = the epoch's length
        position = { epoch: epoch + 1, index: 0, step: trainer.step + 1 };
      }
      const seconds = stats.elapsedMs / 1000;
      const samplesPerSecond = ((trainer.step - startStep) * config.batch) / seconds;
      const waiting = stats.elapsedMs > 0 ? (100 * stats.waitingForDataMs) / stats.elapsedMs : 0;
      if (endOfEpoch && trainer.step === startStep) throw new Error(`${data.train.name}: an epoch produced no minibatch of ${config.batch} rows`);
      if (data.test !== null && (endOfEpoch || trainer.step === totalSteps) && trainer.step > startStep) {
        const result = await trainer.evaluate(data.test, { chunk: run.evalChunk });
        console.log(`epoch ${epoch + 1}: test ELBO ${result.elbo.toFixed(2)} nats (KL ${result.kl.toFixed(2)}, log p(x|z) ${result.logp.toFixed(2)}) ` +
          `after ${trainer.step * config.batch} samples, ${samplesPerSecond.toFixed(0)} samples/s, waiting for data ${waiting.toFixed(1)}% of the time`);
        log({ type: 'test', epoch: epoch + 1, step: trainer.step, samples: trainer.step * config.batch, test_elbo: result.elbo, kl: result.kl, logp: result.logp,
          samples_per_second: samplesPerSecond, waiting_for_data_percent: waiting });
        if (trainRows !== null) {
          const train = await trainer.evaluate(trainRows, { chunk: run.evalChunk });
          console.log(`epoch ${epoch + 1}: train ELBO ${train.elbo.toFixed(2)} nats (first ${train.rows} training rows)`);
          log({ type: 'train_bound', epoch: epoch + 1, step: trainer.step, samples: trainer.step * config.batch, train_elbo: train.elbo, rows: train.rows });
        }
      } else {
        console.log(`epoch ${epoch + 1}: ${trainer.step * config.batch} samples, ${samplesPerSecond.toFixed(0)} samples/s, waiting for data ${waiting.toFixed(1)}% of the time`);
      }
      await save();
      await writePictures(trainer, run.out, data.test, config.seed);
    }
    unwatch();
    process.removeListener('SIGINT', onInterrupt);
    const path = await save();
    console.log(`${interrupted ? 'interrupted; ' : ''}checkpoint at step ${trainer.step}: ${path}  (continue with: aevb train --resume ${run.out})`);
  } finally {
    trainer.destroy();
  }
}

/** Thrown from inside the stream on Ctrl-C: stops taking minibatches; what was trained is then saved. */
class Interrupted extends Error {}
