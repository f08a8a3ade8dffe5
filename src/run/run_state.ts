/**
 * What a training run records in a checkpoint so that it can be continued: where the data stream stands (the
 * next unseen minibatch) and the run's plan. Typed and validated on the way in, since it comes from a file.
 */
import type { StreamPosition } from './stream_position.ts';
import type { TrainerSnapshot } from '../train/trainer.ts';
import { parseEarlyStoppingState, type EarlyStoppingState } from '../train/early_stopping.ts';
import { checkpointedRowsOf, type CheckpointedRows } from '../data/acknowledging_source.ts';
import { numberProblem } from '../train/numbers.ts';

/** How a run was asked to go: a resume continues the same plan unless told otherwise. */
export interface RunPlan {
  /** Passes over the source; null: unbounded (stop by `steps` or by a signal). */
  epochs: number | null;
  /** Total steps, counted from the run's first step; null: as many as the epochs give. */
  steps: number | null;
  /** Checkpoint every this many steps (0: only at the end of each epoch and of the run). */
  checkpointEvery: number;
  /** Rows in the shuffle window. */
  shuffleWindow: number;
  /** Dynamic binarization of every minibatch. */
  binarize: boolean;
  /** Where the data came from, for a resume to open it again (the CLI's paths; null in the library). */
  data: DataDescription | null;
  /**
   * Early stopping's settings, when the run uses it; `restoreBest`: the run restores the best evaluation's
   * parameters when early stopping ends it (absent in checkpoints written before it was kept: false).
   */
  earlyStopping: { on: string; patience: number; minDelta: number; restoreBest?: boolean } | null;
}

/** The data a run streamed, as the command line named it. */
export interface DataDescription {
  /** A file, shard directory, URL or 'synthetic:ROWSxD'; null: the bundled MNIST. */
  train: string | null;
  test: string | null;
  format: string;
  dim: number | null;
  /** Share of the training rows held out for validation (by seed), or null. */
  validationSplit: number | null;
  /** A separate validation file, or null. */
  validation: string | null;
}

export interface RunState {
  /** The next unseen minibatch (epoch and index within it) and the step it is for. */
  position: StreamPosition;
  plan: RunPlan;
  /** Steps per epoch, once a whole epoch has been seen (for progress bars); null before. */
  stepsPerEpoch: number | null;
  /** Where early stopping stands (best value, evaluations since), when the run uses it. */
  earlyStopping: EarlyStoppingState | null;
  /** For a source that acknowledges rows (a Redis stream): what this checkpoint lets it acknowledge. */
  acknowledged?: CheckpointedRows;
}

/** What a checkpoint holds: the trainer's state and, when a run wrote it, the run's (io/ writes and reads it). */
export interface Checkpoint {
  snapshot: TrainerSnapshot;
  /** Where the training run stood and its plan (null for a trainer saved outside a run). */
  run: RunState | null;
}

/** Whether a run in state `s` (after `step` steps) has nothing left to train. */
export function isFinished(s: RunState, step: number): boolean {
  return (
    (s.plan.steps !== null && step >= s.plan.steps) ||
    (s.plan.epochs !== null && s.position.epoch >= s.plan.epochs) ||
    (s.earlyStopping?.stopped ?? false)
  );
}

/** Parses and checks a run state read from a checkpoint; every refusal names the source and the field. */
export function parseRunState(json: unknown, source: string): RunState {
  const fail = (field: string, expected: string, found: unknown): never => {
    throw new Error(
      `${source}: the checkpoint's run state has ${field} = ${JSON.stringify(found)}; expected ${expected}`,
    );
  };
  const object = (v: unknown, field: string) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : fail(field, 'an object', v);
  // Numbers through the one validator the command line and config files use (train/numbers.ts).
  const count = (v: unknown, field: string, min: number) =>
    numberProblem(v, { kind: 'integer', min }) === null ? (v as number) : fail(field, `an integer ≥ ${min}`, v);
  const orNull = <T>(v: unknown, read: (v: unknown) => T): T | null => (v === null || v === undefined ? null : read(v));
  const s = object(json, 'run');
  const p = object(s.position, 'position');
  const plan = object(s.plan, 'plan');
  const data = orNull(plan.data, (v) => object(v, 'plan.data'));
  const early = orNull(plan.earlyStopping, (v) => object(v, 'plan.earlyStopping'));
  const fraction = (v: unknown, field: string) =>
    numberProblem(v, { kind: 'real', min: 0, minExclusive: true, max: 1 }) === null
      ? (v as number)
      : fail(field, 'a number in (0, 1)', v);
  const nonNegative = (v: unknown, field: string) =>
    numberProblem(v, { kind: 'real', min: 0 }) === null ? (v as number) : fail(field, 'a finite number ≥ 0', v);
  const text = (v: unknown, field: string) => (typeof v === 'string' ? v : fail(field, 'a string', v));
  const bool = (v: unknown, field: string) => (typeof v === 'boolean' ? v : fail(field, 'true or false', v));
  const state: RunState = {
    position: {
      epoch: count(p.epoch, 'position.epoch', 0),
      index: count(p.index, 'position.index', 0),
      step: count(p.step, 'position.step', 1),
    },
    plan: {
      epochs: orNull(plan.epochs, (v) => count(v, 'plan.epochs', 1)),
      steps: orNull(plan.steps, (v) => count(v, 'plan.steps', 1)),
      checkpointEvery: count(plan.checkpointEvery, 'plan.checkpointEvery', 0),
      shuffleWindow: count(plan.shuffleWindow, 'plan.shuffleWindow', 1),
      binarize: bool(plan.binarize, 'plan.binarize'),
      data:
        data === null
          ? null
          : {
              train: orNull(data.train, (v) => text(v, 'plan.data.train')),
              test: orNull(data.test, (v) => text(v, 'plan.data.test')),
              format: text(data.format, 'plan.data.format'),
              dim: orNull(data.dim, (v) => count(v, 'plan.data.dim', 1)),
              validationSplit: orNull(data.validationSplit, (v) => fraction(v, 'plan.data.validationSplit')),
              validation: orNull(data.validation, (v) => text(v, 'plan.data.validation')),
            },
      earlyStopping:
        early === null
          ? null
          : {
              on: text(early.on, 'plan.earlyStopping.on'),
              patience: count(early.patience, 'plan.earlyStopping.patience', 1),
              minDelta: nonNegative(early.minDelta, 'plan.earlyStopping.minDelta'),
              ...(early.restoreBest === undefined
                ? {}
                : { restoreBest: bool(early.restoreBest, 'plan.earlyStopping.restoreBest') }),
            },
    },
    stepsPerEpoch: orNull(s.stepsPerEpoch, (v) => count(v, 'stepsPerEpoch', 1)),
    earlyStopping: orNull(s.earlyStopping, (v) =>
      parseEarlyStoppingState(v, `${source}: the run state's earlyStopping`),
    ),
  };
  const acknowledged = orNull(s.acknowledged, (v) => checkpointedRowsOf(v, `${source}: the run state's acknowledged`));
  if (acknowledged !== null) state.acknowledged = acknowledged;
  return state;
}
