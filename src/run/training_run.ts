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
import { splitValidation } from '../data/validation_split.ts';
import { loadRows } from '../data/read_rows.ts';
import { fractionHoldingOut } from './validation_rows.ts';
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
import { EarlyStoppingHook, type RestoreBest } from './hooks/early_stopping.ts';
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
  /**
   * Hold out this share of the source's rows, in (0, 1), or this many rows (a whole number ≥ 1), as the
   * evaluation set 'validation' (as `aevb train --validation-split` does): the rows are chosen by the trainer's
   * seed, the same every epoch and on a resume, never trained on, and at most RUN_DEFAULTS.validationRows of
   * them are held in memory (binarized once when the run binarizes). Early stopping then needs no separate set.
   * A row count costs one more pass over the source before training (validation_rows.ts); a stream that
   * acknowledges rows takes a share only.
   */
  validationSplit?: number;
  /** Also evaluate every this many steps (0 or absent: only at epoch ends and the run's end). */
  evaluateEvery?: number;
  /** Rows per GPU submission when evaluating. Default RUN_DEFAULTS.evalChunk. */
  evalChunk?: number;
  /** Where checkpoints go: `save` is awaited, and no step is queued meanwhile. */
  checkpoints?: CheckpointSink;
  /**
   * Stop when the ELBO of the evaluation set `on` (default 'validation') has not risen by more than `minDelta`
   * nats for `patience` evaluations in a row; the best model so far goes to the sink's `saveBest`.
   */
  earlyStopping?: { on?: string; patience: number; minDelta?: number };
  /**
   * With earlyStopping (Keras's restore_best_weights): when early stopping ends the run, the trainer ends with
   * the parameters of the best evaluation, and so does the run's last checkpoint (with the last step's position
   * and optimizer state: a resume continues from the best parameters). A run that ends otherwise keeps its last
   * parameters. The best parameters are kept in memory; after a resume, the sink's loadBest gives them back.
   */
  restoreBestWeights?: boolean;
  /** The run state of the checkpoint the trainer was restored from: continue where it stopped. */
  resume?: RunState;
  /** Stop taking minibatches: the steps queued finish, a checkpoint is saved, then `stopped` and `done`. */
  signal?: AbortSignal;
  /**
   * Work between steps every `every` steps, awaited with nothing else queued: averaging parameters with other
   * trainers (local SGD), say. It may read and replace the model's parameters.
   */
  rounds?: Rounds;
  /**
   * Read the minibatch metrics back every this many steps, and at steps 1, 2, 4, … before the first (default: the
   * trainer's, RUN_DEFAULTS.metricsEvery).
   */
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
  if (o.restoreBestWeights === true && plan.earlyStopping === null)
    throw new Error(
      'aevb: restoreBestWeights restores the best evaluation when early stopping ends the run: give earlyStopping too',
    );
  const { batch: B, seed } = trainer.config;
  const { source, evaluationSets } = await heldOut(o, plan.binarize, trainer.config);
  const acknowledging = isAcknowledgingSource(source) ? source : null;
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
            o.restoreBestWeights === true ? restoreBestTo(trainer, () => checkpoints?.parametersReplaced()) : undefined,
          ),
        ]),
    ...(checkpoints === null ? [] : [checkpoints]),
  ];
  const loop = new RunLoop({
    trainer,
    plan,
    start: startOf(trainer.step, plan, o.resume, source),
    stepsPerEpoch: o.resume?.stepsPerEpoch ?? null,
    resumed: o.resume !== undefined,
    sourceName: source.name,
    batches: (epoch, skip) =>
      epochBatches(
        { source, B, seed, shuffleWindowRows: plan.shuffleWindow, numberRows: acknowledging !== null },
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

/** The training rows and the evaluation sets: the source as given, or split by `validationSplit`. */
async function heldOut(
  o: TrainingRunOptions,
  binarize: boolean,
  config: RunTrainer['config'],
): Promise<{ source: RowSource; evaluationSets: Record<string, Float32Array> }> {
  const given = o.evaluate ?? {};
  if (o.validationSplit === undefined) return { source: o.source, evaluationSets: given };
  if (given.validation !== undefined)
    throw new Error(
      "aevb: the run was given both validationSplit and an evaluation set named 'validation': give one of them",
    );
  const fraction =
    o.validationSplit < 1 ? o.validationSplit : await fractionOfRows(o.source, o.validationSplit, config.seed);
  const split = splitValidation(o.source, { fraction, seed: config.seed });
  const validation = await loadRows(split.validation, {
    maxRows: RUN_DEFAULTS.validationRows,
    binarize,
    dequantize: config.dequantize === 'uniform',
  });
  if (validation.length === 0)
    throw new Error(
      `aevb: validationSplit ${o.validationSplit} held out no rows of ${o.source.name}: give a larger share`,
    );
  return { source: split.train, evaluationSets: { ...given, validation } };
}

/** How restoreBestWeights writes the best parameters: into the trainer's model (a Trainer's; a stand-in has none). */
function restoreBestTo(trainer: RunTrainer, replaced: () => void): RestoreBest {
  const model = (trainer as Partial<Trainer>).model;
  if (model === undefined) throw new Error('aevb: restoreBestWeights needs a Trainer, whose model it writes');
  return { write: (tensors, source) => model.load(tensors, source), replaced };
}

/** The share holding out `rows` rows; a stream that acknowledges rows is not read ahead of training. */
function fractionOfRows(source: RowSource, rows: number, seed: number): Promise<number> {
  if (isAcknowledgingSource(source))
    throw new Error(
      `aevb: validationSplit ${rows} (a row count) reads ${source.name} once before training, which a stream that acknowledges rows cannot give back: give a share in (0, 1)`,
    );
  return fractionHoldingOut(source, rows, seed);
}
