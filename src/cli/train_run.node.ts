// Node-only: what `aevb train` does — a thin client of the library's trainingRun: it opens the data, creates
// or resumes the trainer, writes the metrics log, checkpoints and pictures, and prints the run's events.
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import { readCheckpoint, writeCheckpoint, CHECKPOINT_FILE, type Checkpoint } from '../io/checkpoint.node.ts';
import { Trainer } from '../train/trainer.ts';
import { matmulVariantOf } from '../kernels/matmul_variant.ts';
import { architectureOf, optimizerOf, validateTrainConfig, type TrainConfig } from '../train/train_config.ts';
import { kernelLimitProblem } from '../model/kernel_limits.ts';
import { DEFAULT_ARCH, describeArch } from '../model/layer_specs.ts';
import { isUrl, planOf, resumedConfig, resumedSettings, written } from './run_settings.node.ts';
import { trainingRun, type CheckpointOccasion } from '../run/training_run.ts';
import { isFinished, type RunPlan } from '../run/run_state.ts';
import { setUpData, type RunData } from './data_setup.node.ts';
import { loadRows } from '../data/read_rows.ts';
import { TrainReport } from './train_report.node.ts';
import { StreamReport } from './stream_report.node.ts';
import { joinPeers } from '../peers/peer_rounds.node.ts';
import { writePictures } from './pictures.node.ts';
import { holdOutputLock } from '../io/output_lock.node.ts';
import { auxiliaryWrite, ownSubfolder, writeFileAtomic } from '../io/output_files.node.ts';
import type { RunSettings } from './train_options.node.ts';
import { deadLetterLine } from '../data/redis/source.node.ts';
import { redisPassword, withPassword, withRedisServer } from './redis_password.node.ts';
import { StopSignals } from './stop_signals.node.ts';
import { BEST_FOLDER, CONFIG_FILE, claimOutputFolder, runIn } from './output_folder.node.ts';

/** A data path or URL by its last part: a file's name, a URL's last path segment (the query left out). */
function shortName(path: string): string {
  const withoutQuery = isUrl(path) ? path.replace(/[?#].*$/, '') : path;
  return basename(withoutQuery.replace(/\/+$/, '')) || path;
}

/**
 * The run's settings as `--config` takes them, written to <out>/config.json: `aevb train --config
 * out/config.json` starts the same run again (the model, the optimizer and the data as resolved). Written by
 * temporary file and rename (never through a link planted in --out); a failure is a warning naming the file.
 */
function writeResolvedConfig(run: RunSettings, config: TrainConfig): Promise<unknown> {
  const { D: _D, ...flags } = config;
  const settings = {
    ...flags,
    data: written(run.data),
    testData: written(run.testData),
    format: run.format,
    dim: run.dim ?? null,
    binarize: run.binarize,
    shuffleWindow: run.shuffleWindow,
    epochs: run.epochs,
    samples: run.samples,
    checkpointEvery: run.checkpointEvery,
    metricsEvery: run.metricsEvery,
    evalChunk: run.evalChunk,
    validationSplit: run.validationSplit,
    validationData: written(run.validationData),
    earlyStop: run.earlyStop,
    restoreBest: run.restoreBest === true,
  };
  return auxiliaryWrite(() => writeFileAtomic(join(run.out, CONFIG_FILE), `${JSON.stringify(settings, null, 2)}\n`));
}

export async function runTraining(
  requested: TrainConfig,
  requestedRun: RunSettings,
  given: Set<string>,
): Promise<void> {
  const checkpoint = requestedRun.resume === null ? null : readCheckpoint(requestedRun.resume);
  // The model's config: the flags', or on --resume the checkpoint's (a model flag given must agree with it).
  const model = checkpoint === null ? requested : resumedConfig(requested, checkpoint, given, requestedRun.resume!);
  if (checkpoint !== null && checkpoint.run === null)
    throw new Error(`${join(requestedRun.resume!, CHECKPOINT_FILE)}: holds no run state to continue from`);
  const saved = checkpoint?.run ?? null;
  const run = saved === null ? requestedRun : resumedSettings(requestedRun, saved.plan, given);
  const plan =
    saved !== null && !given.has('epochs') && !given.has('samples')
      ? { ...planOf(run, model.batch), epochs: saved.plan.epochs, steps: saved.plan.steps }
      : planOf(run, model.batch);
  if (saved !== null && isFinished({ ...saved, plan }, checkpoint!.snapshot.step)) {
    console.log(
      `the run in ${run.resume} is complete (step ${checkpoint!.snapshot.step}, ${plan.steps !== null ? `${plan.steps} steps` : `${plan.epochs} epochs`}); ` +
        'to train further, give --epochs or --samples beyond it',
    );
    return;
  }
  mkdirSync(run.out, { recursive: true });
  const unlock = holdOutputLock(run.out);
  try {
    await train(model, run, plan, checkpoint);
  } finally {
    unlock();
  }
}

async function train(
  model: TrainConfig,
  run: RunSettings,
  plan: RunPlan,
  checkpoint: Checkpoint | null,
): Promise<void> {
  const dequantize = model.dequantize === 'uniform'; // the evaluation sets' too
  // A redis:///STREAM URL names no server: REDIS_URL gives it, at every start, so config.json and the checkpoint's
  // plan keep the URL as written and a resumed run follows the environment it runs in.
  const served = {
    data: withRedisServer(run.data),
    testData: withRedisServer(run.testData),
    validationData: withRedisServer(run.validationData),
    peers: withRedisServer(run.peers),
  };
  const password = redisPassword(run.redisPasswordFile, Object.values(served));
  // setUpData closes what it opened when it fails; from here on, every way out closes the data (a Redis stream's
  // connections would otherwise keep the process alive after an error).
  // Rows too wide for the model's kernels are refused as soon as D is known: before a row set is held or a buffer made.
  const checkRowLength = (D: number) => {
    const problem = kernelLimitProblem(architectureOf({ ...model, D }));
    if (problem !== null)
      throw new Error(
        `--data ${written(run.data) ?? 'MNIST'}: rows of D = ${D} values are too wide for the model's kernels: ${problem}`,
      );
  };
  const data = await setUpData({
    ...run,
    ...served,
    seed: model.seed,
    dequantize,
    redisPassword: password,
    checkRowLength,
  });
  try {
    await trainOn(data, model, run, plan, checkpoint, { password, peers: served.peers });
  } finally {
    await data.close();
  }
}

async function trainOn(
  data: RunData,
  model: TrainConfig,
  run: RunSettings,
  plan: RunPlan,
  checkpoint: Checkpoint | null,
  redis: { password: string | undefined; peers: string | null },
): Promise<void> {
  const dequantize = model.dequantize === 'uniform';
  // A new model takes its D from the data; a resumed one must match it.
  const config = checkpoint === null ? { ...model, D: data.D } : model;
  if (config.D !== data.D)
    throw new Error(
      `${data.train.name}: rows have ${data.D} values, but the checkpoint's model expects D = ${config.D}`,
    );
  validateTrainConfig(config);
  if (run.restoreBest === true && run.earlyStop === null)
    throw new Error(
      '--restore-best restores the best validation when --early-stop ends the run: give --early-stop too',
    );
  if (run.earlyStop !== null && data.validation === null)
    throw new Error('--early-stop watches the validation ELBO: give --validation-split or --validation-data');
  // After the flags are checked (a mistyped flag is reported as such) and under the folder's lock.
  claimOutputFolder(run.out, { resume: run.resume, overwrite: run.overwrite === true });
  const trainer = await Trainer.create(config, { acquire: { vulkanDriver: run.vulkanDriver } });
  try {
    if (checkpoint !== null) await trainer.restore(checkpoint.snapshot, join(run.resume!, CHECKPOINT_FILE));
    const report = new TrainReport(
      run.out,
      plan,
      data.rowsPerEpoch === null ? null : Math.floor(data.rowsPerEpoch / config.batch),
      run.resume,
    );
    const opt = optimizerOf(config);
    console.log(
      `aevb: ${modelShape(config)} VAE (${config.activation}, ${config.init} init, ${opt.kind} lr ${opt.lr}, ` +
        `M=${config.batch}, ${trainer.parameterCount} parameters, ${config.likelihood} decoder, ` +
        `${config.method === 'wake-sleep' ? 'wake-sleep' : `estimator ${config.estimator}`}) ` +
        `on ${data.description}, ${run.binarize ? 'dynamically binarized' : dequantize ? 'dequantized grey levels' : 'grey levels'}`,
    );
    console.log(
      `device: ${trainer.gpu.adapter.description} [${trainer.gpu.adapter.driver}], matmul ${matmulVariantOf(trainer.gpu)}`,
    );
    report.log({
      type: 'start',
      config,
      plan,
      resumedAt: checkpoint === null ? null : trainer.step,
      adapter: trainer.gpu.adapter,
    });
    await writeResolvedConfig(run, config);
    // Entries moved to the dead-letter stream: on stderr, and in metrics.jsonl.
    data.stream?.onDeadLetter((d) => {
      console.error(deadLetterLine(d));
      report.log({
        type: 'dead-lettered',
        step: trainer.step,
        stream: d.stream,
        id: d.id,
        dead_stream: d.deadStream,
        dead_id: d.deadId,
        group: d.group,
        consumer: d.consumer,
        failures: d.failures,
        error: d.error,
      });
    });

    // A Redis stream's lag, pending entries, dead letters and rows/s: in metrics.jsonl and on the progress line.
    const streamReport =
      data.stream === null
        ? null
        : new StreamReport(
            data.stream,
            (r) => report.log(r),
            (text) => report.stream(text),
          );

    const evaluate: Record<string, Float32Array> = {};
    if (data.test !== null) evaluate.test = data.test;
    if (data.validation !== null) evaluate.validation = data.validation;
    // The lower bound on a fixed slice of the training set, binarized once (the paper's train curve).
    if ((run.trainBoundRows ?? 0) > 0)
      evaluate.train = await loadRows(data.train, { maxRows: run.trainBoundRows, binarize: run.binarize, dequantize });

    // Ctrl-C and SIGTERM stop the run: the steps queued finish, a checkpoint is written, the exit code says so.
    const stop = new StopSignals();
    // The chart's title names the data by file name: a full path ran off both sides of curves.png.
    const dataName =
      run.data === null
        ? data.description
        : `${shortName(written(run.data))}${run.testData === null ? '' : `, test ${shortName(written(run.testData))}`}`;
    const title = `${dataName}: ${config.D}-${config.hidden.join('-')}-${config.latent} VAE`;
    // Pictures and curves are auxiliary: a file that cannot be written is a warning naming it, never the run's end.
    const pictures = async () => {
      if (
        (await auxiliaryWrite(() => writePictures(trainer.model, run.out, data.test, config.seed)))?.length === 0 &&
        !saidNoPictures
      ) {
        console.log(`no pictures: rows of ${config.D} values are not square images`);
        saidNoPictures = true;
      }
    };
    let saidNoPictures = false;
    const save = async (c: Checkpoint, occasion: CheckpointOccasion) => {
      const path = writeCheckpoint(run.out, c);
      // At an epoch's end, the pictures and curves too: the run waits for the sink, so no step is queued meanwhile
      // (and it settled the trainer for the snapshot, so the pictures show this step).
      if (occasion === 'epoch') {
        await pictures();
        await report.writeCurves(title);
      }
      return path;
    };
    const peers =
      redis.peers === null
        ? null
        : await joinPeers(withPassword(redis.peers, redis.password), trainer, {
            log: (r) => report.log(r),
            say: (line) => console.log(line),
            signal: stop.signal,
          });
    const events = trainingRun(trainer, {
      source: data.train,
      epochs: plan.epochs ?? Infinity,
      steps: plan.steps ?? undefined,
      shuffleWindow: plan.shuffleWindow,
      binarize: plan.binarize,
      evaluate,
      evalChunk: run.evalChunk,
      metricsEvery: run.metricsEvery,
      data: plan.data ?? undefined,
      signal: stop.signal,
      resume: checkpoint?.run ?? undefined,
      earlyStopping: plan.earlyStopping ?? undefined,
      restoreBestWeights: run.restoreBest === true,
      rounds: peers?.rounds,
      checkpoints: {
        every: plan.checkpointEvery,
        save,
        // best/ is made and read without following a link planted there (ownSubfolder refuses one).
        saveBest: (c) => writeCheckpoint(ownSubfolder(run.out, BEST_FOLDER), c),
        // The best model of a run resumed since it was found, for --restore-best.
        loadBest: () => {
          const best = ownSubfolder(run.out, BEST_FOLDER, { create: false });
          return runIn(best) === null ? null : readCheckpoint(best);
        },
      },
    });
    try {
      await lastValueFrom(
        events.pipe(
          tap({
            next: (e) => {
              report.show(e);
              if (e.type === 'done' && e.reason === 'early-stopped' && run.restoreBest === true) {
                const best = e.state.earlyStopping?.bestStep;
                if (best !== e.step)
                  console.log(`restored the parameters of step ${best}, the best validation (--restore-best)`);
              }
              if (e.type === 'metrics') streamReport?.tick(e.step);
            },
            finalize: () => report.stop(),
          }),
        ),
      );
      // The stream's standing at the end, while its connection is still open (only on a run that ended well: after
      // an error the server may be the cause, and asking it would wait out reconnect-for).
      await streamReport?.end(trainer.step);
    } finally {
      stop.release();
      await peers?.leave();
      await data.close();
    }
    await pictures();
    const curves = await report.writeCurves(title);
    if (curves !== null) console.log(`training curves: ${curves}`);
    console.log(report.closingLine(stop.received !== null, trainer.step));
    report.close();
    if (stop.received !== null) process.exitCode = stop.exitCode;
  } finally {
    trainer.destroy();
  }
}

/** The model as the run's first line names it: 784-500-20 for the MLP, 784-conv:32,64-256-20 for a short form. */
function modelShape(c: TrainConfig): string {
  if (c.arch === undefined || c.arch === DEFAULT_ARCH) return `${c.D}-${c.hidden.join('-')}-${c.latent}`;
  if (typeof c.arch === 'string') return `${c.D}-${c.arch}-${c.hidden.join('-')}-${c.latent}`;
  return `${c.D}-[${describeArch(c.arch)}]-${c.latent}`;
}
