/**
 * One training run, as the CLI, the demo page and users' own code all run it: minibatches streamed from a row
 * source into a trainer epoch after epoch, the evaluation sets scored at every epoch's end, checkpoints handed
 * to a sink on a cadence, a resume continuing with the next unseen minibatch, and a stop through an
 * AbortSignal. What happens comes out as an Observable of typed events (training_events.ts).
 *
 * Back-pressure lives inside: the source is read only as fast as the trainer's upload ring frees slots
 * (stream/streamed_training.ts). The stream position is kept here and nowhere else; a checkpoint records it.
 *
 * @example
 * const stop = new AbortController();
 * trainingRun(trainer, { source: mnistSource('train'), epochs: 10, evaluate: { test }, signal: stop.signal })
 *   .subscribe((e) => { if (e.type === 'epoch') console.log(e.epoch, e.evaluations.test.elbo); });
 */
import { Observable } from 'rxjs';
import type { Checkpoint } from '../io/checkpoint_format.ts';
import type { RowSource } from '../data/row_source.ts';
import type { ElboResult } from '../eval/dataset_elbo.ts';
import type { Trainer } from '../train/trainer.ts';
import { STREAM_START, type PositionedBatch, type StreamPosition } from '../stream/positioned_batch.ts';
import { streamedTraining, type TrainedBatch } from '../stream/streamed_training.ts';
import { isFinished, type DataDescription, type RunPlan, type RunState } from './run_state.ts';
import { isAcknowledgingSource, type AcknowledgingSource, type CheckpointedRows } from '../data/acknowledging_source.ts';
import { RowMark } from './row_mark.ts';
import { INITIAL_EARLY_STOPPING, observeEvaluation, validateEarlyStopping, type EarlyStoppingState } from '../train/early_stopping.ts';
import type { TrainingEvent } from './training_events.ts';

/** Rows in the shuffle window unless a run says otherwise: all of MNIST, so a full shuffle there. */
export const DEFAULT_SHUFFLE_WINDOW = 60_000;

export interface TrainingRunOptions {
  /** The training rows (files, URLs, memory, generators: see the row sources). */
  source: RowSource;
  /** Passes over the source (Infinity: unbounded). Default 1, or Infinity when `steps` is given. */
  epochs?: number;
  /** Stop after this many steps in all, counted from the run's first step (a resume included). */
  steps?: number;
  /** Rows in the seeded shuffle window (1: no shuffling). Default DEFAULT_SHUFFLE_WINDOW. */
  shuffleWindow?: number;
  /** Binarize every minibatch afresh (Bernoulli with the value as probability). Default true. */
  binarize?: boolean;
  /** Sets scored with the ELBO at every epoch's end and at the run's end, by name (e.g. { test }). */
  evaluate?: Record<string, Float32Array>;
  /** Also evaluate every this many steps (0 or absent: only at epoch ends and the run's end). */
  evaluateEvery?: number;
  /** Rows per GPU submission when evaluating. Default 1000. */
  evalChunk?: number;
  /** Where checkpoints go: `save` is awaited, and no step is queued meanwhile. */
  checkpoints?: CheckpointSink;
  /**
   * Stop when the ELBO of the evaluation set `on` (e.g. 'validation') has not risen by more than `minDelta`
   * nats for `patience` evaluations in a row; the best model so far goes to the sink's `saveBest`.
   */
  earlyStopping?: { on: string; patience: number; minDelta?: number };
  /** The run state of the checkpoint the trainer was restored from: continue where it stopped. */
  resume?: RunState;
  /** Stop taking minibatches: the steps queued finish, a checkpoint is saved, then `stopped` and `done`. */
  signal?: AbortSignal;
  /**
   * Work between steps every `every` steps, awaited with nothing else queued: averaging parameters with other
   * trainers (local SGD), say. It may read and replace the model's parameters.
   */
  rounds?: { every: number; run(step: number): Promise<void> };
  /** Read the minibatch metrics back every this many steps (default: the trainer's, 50). */
  metricsEvery?: number;
  /** Recorded in checkpoints so that a resume can open the same data (the CLI's paths). */
  data?: DataDescription;
}

export interface CheckpointSink {
  /** Also save every this many steps (0 or absent: only at each epoch's end and the run's end). */
  every?: number;
  /** Writes the checkpoint; may return where it went (a path). A throw ends the run with that error. */
  save(checkpoint: Checkpoint): Promise<string | void> | string | void;
  /** Writes the best model so far (with early stopping): kept beside the last one, never overwriting it. */
  saveBest?(checkpoint: Checkpoint): Promise<string | void> | string | void;
}

/**
 * Trains `trainer` on `options.source` and reports it as events; completes after `done`. Unsubscribing stops
 * the run at once, with no final checkpoint (use `signal` for a stop that saves).
 */
export function trainingRun(trainer: Trainer, options: TrainingRunOptions): Observable<TrainingEvent> {
  return new Observable<TrainingEvent>((subscriber) => {
    const unsubscribed = new AbortController();
    const emit = (event: TrainingEvent) => {
      if (!subscriber.closed) subscriber.next(event);
    };
    drive(trainer, options, emit, unsubscribed.signal).then(() => subscriber.complete(), (error) => subscriber.error(error));
    return () => unsubscribed.abort();
  });
}

function planOf(o: TrainingRunOptions): RunPlan {
  const epochs = o.epochs ?? (o.steps === undefined ? 1 : Infinity);
  if (!(epochs >= 1)) throw new Error(`aevb: a run needs epochs ≥ 1 (or Infinity), got ${epochs}`);
  if (o.steps !== undefined && !(Number.isInteger(o.steps) && o.steps >= 1)) throw new Error(`aevb: steps must be an integer ≥ 1, got ${o.steps}`);
  return {
    epochs: Number.isFinite(epochs) ? epochs : null,
    steps: o.steps ?? null,
    checkpointEvery: o.checkpoints?.every ?? 0,
    shuffleWindow: o.shuffleWindow ?? DEFAULT_SHUFFLE_WINDOW,
    binarize: o.binarize ?? true,
    data: o.data ?? null,
    earlyStopping: o.earlyStopping === undefined ? null : { on: o.earlyStopping.on, patience: o.earlyStopping.patience, minDelta: o.earlyStopping.minDelta ?? 0 },
  };
}

/** Where a resumed run starts; it must continue the same sequence of minibatches. */
function startOf(trainer: Trainer, plan: RunPlan, resume: RunState | undefined): StreamPosition {
  if (resume === undefined) {
    if (trainer.step !== 0) throw new Error(`aevb: the trainer has already trained ${trainer.step} steps: pass the run state of its checkpoint as 'resume'`);
    return STREAM_START;
  }
  for (const key of ['shuffleWindow', 'binarize'] as const) {
    if (plan[key] !== resume.plan[key]) {
      throw new Error(`aevb: the run being resumed streamed with ${key} ${resume.plan[key]}, not ${plan[key]}; changing it would change the minibatches`);
    }
  }
  if (resume.position.step !== trainer.step + 1) {
    throw new Error(`aevb: the run state continues at step ${resume.position.step}, but the trainer has trained ${trainer.step} steps: restore both from the same checkpoint`);
  }
  return resume.position;
}

async function drive(trainer: Trainer, o: TrainingRunOptions, emit: (e: TrainingEvent) => void, unsubscribed: AbortSignal): Promise<void> {
  const plan = planOf(o);
  const B = trainer.config.batch;
  let position = startOf(trainer, plan, o.resume);
  let stepsPerEpoch = o.resume?.stepsPerEpoch ?? null;
  // Early stopping maximises the ELBO of the evaluation set it watches (the plan holds its settings).
  const stopping = plan.earlyStopping === null ? null : { ...plan.earlyStopping, mode: 'max' as const };
  let earlyStopping: EarlyStoppingState | null = stopping === null ? null : (o.resume?.earlyStopping ?? INITIAL_EARLY_STOPPING);
  if (stopping !== null) {
    validateEarlyStopping(stopping);
    if (o.evaluate?.[stopping.on] === undefined) throw new Error(`aevb: early stopping watches the evaluation set '${stopping.on}', which the run was not given`);
  }
  // A source that acknowledges rows (a Redis stream) is told, after each checkpoint is safely written, which rows
  // it holds: those below the pass's low-water mark. Such a source delivers again whatever it has not had
  // acknowledged, so a resumed pass starts from its first minibatch instead of skipping the ones already seen.
  const acknowledging = isAcknowledgingSource(o.source) ? o.source : null;
  let mark = new RowMark();
  // Positions are normalised: one past an epoch's last minibatch is the next epoch's start.
  const normalised = (): StreamPosition =>
    (stepsPerEpoch !== null && position.index >= stepsPerEpoch ? { epoch: position.epoch + 1, index: 0, step: position.step } : position);
  const finished = () => isFinished({ position: normalised(), plan, stepsPerEpoch, earlyStopping }, trainer.step);
  // What a checkpoint records (the acknowledgement, for a source that needs one, is gathered only here).
  const state = (): RunState => ({
    position: normalised(), plan, stepsPerEpoch, earlyStopping,
    ...(acknowledging === null ? {} : { acknowledged: acknowledgement(acknowledging, mark) }),
  });
  // Early stopping ends the epoch's stream the way a stop signal does.
  const earlyStop = new AbortController();
  const stopRequested = () => (o.signal?.aborted ?? false) || unsubscribed.aborted || earlyStop.signal.aborted;
  if (o.metricsEvery !== undefined) trainer.metricsEvery = o.metricsEvery;

  let savedAt = -1;
  // Saves run one after another: a stop can arrive while a cadence checkpoint is being written.
  let saving: Promise<void> = Promise.resolve();
  const save = () => (saving = saving.then(async () => {
    if (o.checkpoints === undefined || savedAt === trainer.step || unsubscribed.aborted) return;
    const run = state();
    const location = await o.checkpoints.save({ snapshot: await trainer.snapshot(), run });
    savedAt = run.position.step - 1;
    if (acknowledging !== null) await acknowledging.checkpointed(run.acknowledged!);
    emit({ type: 'checkpoint', step: savedAt, location: location ?? null, best: false });
  }));
  // Scored once per step: an epoch's end that falls on the evaluation cadence reuses the cadence's results.
  let evaluated: { step: number; results: Record<string, ElboResult> } | null = null;
  const evaluate = async () => {
    if (evaluated?.step === trainer.step) return evaluated.results;
    const results: Record<string, ElboResult> = {};
    for (const [name, rows] of Object.entries(o.evaluate ?? {})) results[name] = await trainer.evaluate(rows, { chunk: o.evalChunk });
    evaluated = { step: trainer.step, results };
    if (Object.keys(results).length > 0) emit({ type: 'evaluation', step: trainer.step, samples: trainer.step * B, results });
    if (stopping !== null && earlyStopping !== null && !earlyStopping.stopped) {
      const update = observeEvaluation(stopping, earlyStopping, results[stopping.on].elbo, trainer.step);
      earlyStopping = update.state;
      if (update.improved && o.checkpoints?.saveBest !== undefined) {
        const location = await o.checkpoints.saveBest({ snapshot: await trainer.snapshot(), run: state() });
        emit({ type: 'checkpoint', step: trainer.step, location: location ?? null, best: true });
      }
      if (update.stop) earlyStop.abort();
    }
    return results;
  };
  const evaluateEvery = o.evaluateEvery ?? 0;

  // Awaited inside the pipeline around each step: nothing else is queued while these run. A checkpoint due
  // after step s is written just before step s + 1 is queued, or at the epoch's end if s was its last step:
  // only then is it known whether the position after s is inside the epoch or the next epoch's start.
  let checkpointDue = false;
  const beforeStep = () => (checkpointDue ? save().then(() => { checkpointDue = false; }) : undefined);
  const afterStep = async (step: number) => {
    if (o.rounds !== undefined && step % o.rounds.every === 0) {
      await trainer.settle();
      await o.rounds.run(step);
    }
    if (evaluateEvery > 0 && step % evaluateEvery === 0) await evaluate();
    checkpointDue ||= plan.checkpointEvery > 0 && step % plan.checkpointEvery === 0;
  };

  // A crash between a checkpoint's write and its acknowledgement left that undone: finish it first.
  if (acknowledging !== null && o.resume?.acknowledged) await acknowledging.resumeFrom?.(o.resume.acknowledged);
  if (acknowledging !== null) position = { ...position, index: 0 };

  emit({ type: 'start', step: trainer.step, position, resumed: o.resume !== undefined, stepsPerEpoch });
  const unwatch = trainer.watchMetrics((m) => emit({ type: 'metrics', step: m.step, samples: m.step * B, elbo: m.elbo, kl: m.kl, logp: m.logp }));
  try {
    while (!finished() && !stopRequested()) {
      const epoch = position.epoch;
      const firstStep = trainer.step;
      mark = new RowMark();
      const last = await trainOneEpoch(trainer, o, plan, position, acknowledging !== null, beforeStep, (b) => {
        position = { epoch: b.epoch, index: b.index + 1, step: b.step + 1 };
        if (b.rowIds !== undefined) mark.trained(b.rowIds);
        return afterStep(b.step);
      }, (b) => emit({
        type: 'step', step: b.step, epoch: b.epoch, index: b.index,
        samplesPerSecond: rate(b.step - firstStep, B, b.elapsedMs), waitingForDataPercent: share(b.waitingForDataMs, b.elapsedMs),
      }), [o.signal, unsubscribed, earlyStop.signal]);
      if (stopRequested()) break;
      const ended = plan.steps === null || trainer.step < plan.steps;
      if (ended) {
        // The index after an epoch's last batch is the epoch's length; the position moves to the next epoch's
        // start, so a checkpoint here resumes there (never at "one past the end").
        if (trainer.step === firstStep && position.index === 0) throw new Error(`${o.source.name}: an epoch produced no minibatch of ${B} rows`);
        stepsPerEpoch ??= position.index;
        position = { epoch: epoch + 1, index: 0, step: trainer.step + 1 };
      }
      const evaluations = trainer.step > 0 ? await evaluate() : {};
      emit({
        type: 'epoch', epoch: epoch + 1, ended, stepsPerEpoch, step: trainer.step, samples: trainer.step * B,
        samplesPerSecond: rate(trainer.step - firstStep, B, last?.elapsedMs ?? 0), waitingForDataPercent: share(last?.waitingForDataMs ?? 0, last?.elapsedMs ?? 0), evaluations,
      });
      await save();
      checkpointDue = false;
    }
    await trainer.settle();
    if (unsubscribed.aborted) return;
    const stopped = o.signal?.aborted ?? false;
    if (stopped) emit({ type: 'stopped', step: trainer.step });
    await save();
    const reason = stopped ? 'stopped' : earlyStop.signal.aborted ? 'early-stopped' : 'finished';
    emit({ type: 'done', step: trainer.step, samples: trainer.step * B, reason, state: state() });
  } finally {
    unwatch();
  }
}

/**
 * Streams the rest of the epoch at `start` into the trainer (up to the plan's step budget); resolves with the
 * last trained batch once the GPU has run them all, or as soon as a stop is signalled.
 */
function trainOneEpoch(
  trainer: Trainer, o: TrainingRunOptions, plan: RunPlan, start: StreamPosition, numberRows: boolean,
  beforeStep: () => void | Promise<void>, afterStep: (b: PositionedBatch) => void | Promise<void>,
  onStep: (b: TrainedBatch) => void, signals: Array<AbortSignal | undefined>,
): Promise<TrainedBatch | null> {
  return new Promise((resolve, reject) => {
    let last: TrainedBatch | null = null;
    const stream = streamedTraining(trainer, {
      source: o.source, B: trainer.config.batch, seed: trainer.config.seed, shuffleWindowRows: plan.shuffleWindow, binarize: plan.binarize,
      dequantize: trainer.config.dequantize === 'uniform', epochs: start.epoch + 1, start, maxSteps: plan.steps === null ? undefined : plan.steps - trainer.step, beforeStep, afterStep, numberRows,
    });
    const stop = () => {
      subscription.unsubscribe();
      finish();
      resolve(last);
    };
    const finish = () => signals.forEach((s) => s?.removeEventListener('abort', stop));
    const subscription = stream.subscribe({
      next: (b) => { last = b; onStep(b); },
      error: (e) => { finish(); reject(e); },
      complete: () => { finish(); resolve(last); },
    });
    signals.forEach((s) => s?.addEventListener('abort', stop, { once: true }));
    if (signals.some((s) => s?.aborted)) stop();
  });
}

/** What a checkpoint lets an acknowledging source acknowledge: the rows below the mark and those trained above it. */
function acknowledgement(source: AcknowledgingSource, mark: RowMark): CheckpointedRows {
  const trainedAbove = mark.trainedAbove();
  return { rowsConsumed: mark.low, trainedAbove, source: source.checkpointState(mark.low, trainedAbove) };
}

const rate = (steps: number, B: number, ms: number) => (ms > 0 ? (steps * B) / (ms / 1000) : 0);
const share = (part: number, whole: number) => (whole > 0 ? (100 * part) / whole : 0);
