/**
 * One training run, as the CLI, the demo page and users' own code all run it: minibatches streamed from a row
 * source into a trainer epoch after epoch, the evaluation sets scored at every epoch's end, checkpoints handed
 * to a sink on a cadence, a resume continuing with the next unseen minibatch, and a stop through an
 * AbortSignal. What happens comes out as an Observable of typed events (training_events.ts).
 *
 * This file puts a run together: its plan (run_plan.ts), the data side (stream/epoch_batches.ts), the loop that
 * pulls minibatches and owns the position (run_loop.ts), and the hooks for whatever the options ask for
 * (hooks/). Back-pressure lives inside: a minibatch is read only when the trainer has a free upload slot.
 *
 * @example
 * const stop = new AbortController();
 * trainingRun(trainer, { source: mnistSource('train'), epochs: 10, evaluate: { test }, signal: stop.signal })
 *   .subscribe((e) => { if (e.type === 'epoch') console.log(e.epoch, e.evaluations.test.elbo); });
 */
import { Observable } from 'rxjs';
import type { RowSource } from '../data/row_source.ts';
import { isAcknowledgingSource } from '../data/acknowledging_source.ts';
import type { Trainer } from '../train/trainer.ts';
import { epochBatches } from '../stream/epoch_batches.ts';
import { StepInput } from '../stream/step_input.ts';
import type { DataDescription, RunState } from './run_state.ts';
import type { TrainingEvent } from './training_events.ts';
import type { RunHook, RunTrainer } from './run_hook.ts';
import { RunLoop } from './run_loop.ts';
import { RUN_DEFAULTS } from './run_defaults.ts';
import { planOf, startOf } from './run_plan.ts';
import { AcknowledgementHook } from './hooks/acknowledgement.ts';
import { CheckpointHook, type CheckpointSink } from './hooks/checkpoints.ts';
import { EarlyStoppingHook } from './hooks/early_stopping.ts';
import { EvaluationCadenceHook } from './hooks/evaluation_cadence.ts';
import { RoundsHook, type Rounds } from './hooks/rounds.ts';

export type { CheckpointSink, CheckpointOccasion } from './hooks/checkpoints.ts';
export type { Rounds } from './hooks/rounds.ts';

export interface TrainingRunOptions {
  /** The training rows (files, URLs, memory, generators: see the row sources). */
  source: RowSource;
  /** Passes over the source (Infinity: unbounded). Default 1, or Infinity when `steps` is given. */
  epochs?: number;
  /** Stop after this many steps in all, counted from the run's first step (a resume included). */
  steps?: number;
  /** Rows in the seeded shuffle window (1: no shuffling). Default RUN_DEFAULTS.shuffleWindow (run_defaults.ts). */
  shuffleWindow?: number;
  /** Binarize every minibatch afresh (Bernoulli with the value as probability). Default true. */
  binarize?: boolean;
  /** Sets scored with the ELBO at every epoch's end and at the run's end, by name (e.g. { test }). */
  evaluate?: Record<string, Float32Array>;
  /** Also evaluate every this many steps (0 or absent: only at epoch ends and the run's end). */
  evaluateEvery?: number;
  /** Rows per GPU submission when evaluating. Default RUN_DEFAULTS.evalChunk. */
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
  rounds?: Rounds;
  /** Read the minibatch metrics back every this many steps (default: the trainer's, RUN_DEFAULTS.metricsEvery). */
  metricsEvery?: number;
  /** Recorded in checkpoints so that a resume can open the same data (the CLI's paths). */
  data?: DataDescription;
}

/**
 * Trains `trainer` on `options.source` and reports it as events; completes after `done`. Unsubscribing stops
 * the run at once, with no final checkpoint (use `signal` for a stop that saves).
 *
 * Called again on the same trainer, as Keras's fit() is, a run continues where the trainer's last run ended:
 * the same stream of minibatches, `epochs` (or `steps`) counted from the call — a pass the last run left
 * half-done counts as the first — and early stopping's patience afresh. A trainer restored from a checkpoint
 * takes the checkpoint's run state as `resume` instead, whose `epochs` and `steps` count from the run's start.
 */
export function trainingRun(trainer: Trainer | RunTrainer, options: TrainingRunOptions): Observable<TrainingEvent> {
  return new Observable<TrainingEvent>((subscriber) => {
    const abandon = new AbortController();
    const emit = (event: TrainingEvent) => {
      if (event.type === 'done') lastRuns.set(trainer, event.state);
      subscriber.next(event);
    };
    run(trainer, continued(trainer, options), emit, abandon.signal).then(
      () => subscriber.complete(),
      (error) => subscriber.error(error),
    );
    return () => abandon.abort();
  });
}

/** The state each trainer's last run ended in, while the trainer lives. */
const lastRuns = new WeakMap<RunTrainer, RunState>();

/** The options of a run that continues the trainer's last one, or `o` as given (a first run, or a resume). */
function continued(trainer: RunTrainer, o: TrainingRunOptions): TrainingRunOptions {
  const last = lastRuns.get(trainer);
  // A trainer restored from elsewhere, or trained outside a run since, is not where its last run ended.
  if (o.resume !== undefined || last === undefined || last.position.step !== trainer.step + 1) return o;
  const steps = o.steps === undefined ? undefined : trainer.step + o.steps;
  const epochs =
    o.epochs !== undefined
      ? last.position.epoch + o.epochs
      : steps !== undefined
        ? Infinity
        : last.position.epoch + RUN_DEFAULTS.epochs;
  return {
    ...o,
    epochs,
    steps,
    resume: { ...last, earlyStopping: null },
    shuffleWindow: o.shuffleWindow ?? last.plan.shuffleWindow,
    binarize: o.binarize ?? last.plan.binarize,
  };
}

async function run(
  trainer: RunTrainer,
  o: TrainingRunOptions,
  emit: (e: TrainingEvent) => void,
  abandonSignal: AbortSignal,
): Promise<void> {
  const plan = planOf(o);
  const { batch: B, seed } = trainer.config;
  const acknowledging = isAcknowledgingSource(o.source) ? o.source : null;
  const evaluationSets = o.evaluate ?? {};
  // The order matters where hooks meet: rows are marked trained before a round, an evaluation or a checkpoint
  // can record them; early stopping hears of an evaluation before the next checkpoint is due.
  const checkpoints = o.checkpoints === undefined ? null : new CheckpointHook(o.checkpoints);
  const hooks: RunHook[] = [
    ...(acknowledging === null ? [] : [new AcknowledgementHook(acknowledging, o.resume?.acknowledged)]),
    ...(o.rounds === undefined ? [] : [new RoundsHook(o.rounds, () => checkpoints?.parametersReplaced())]),
    ...((o.evaluateEvery ?? 0) > 0 ? [new EvaluationCadenceHook(o.evaluateEvery!)] : []),
    ...(plan.earlyStopping === null
      ? []
      : [
          new EarlyStoppingHook(
            plan.earlyStopping,
            evaluationSets,
            o.resume?.earlyStopping ?? undefined,
            o.checkpoints,
          ),
        ]),
    ...(checkpoints === null ? [] : [checkpoints]),
  ];
  const loop = new RunLoop({
    trainer,
    plan,
    start: startOf(trainer.step, plan, o.resume, o.source),
    stepsPerEpoch: o.resume?.stepsPerEpoch ?? null,
    resumed: o.resume !== undefined,
    sourceName: o.source.name,
    batches: (epoch, skip) =>
      epochBatches(
        { source: o.source, B, seed, shuffleWindowRows: plan.shuffleWindow, numberRows: acknowledging !== null },
        epoch,
        skip,
      ),
    input: StepInput.of({ binarize: plan.binarize, dequantize: trainer.config.dequantize === 'uniform' }, seed).kind,
    evaluationSets,
    evalChunk: o.evalChunk,
    hooks,
    emit,
    stopSignal: o.signal,
    abandonSignal,
  });
  if (o.metricsEvery !== undefined) trainer.metricsEvery = o.metricsEvery;
  const unwatch = trainer.watchMetrics((m) =>
    loop.emit({ type: 'metrics', step: m.step, samples: m.step * B, elbo: m.elbo, kl: m.kl, logp: m.logp }),
  );
  try {
    await loop.run();
  } finally {
    unwatch();
  }
}
