/** What a training run reports, in order: start, then steps, metrics, evaluations, epochs and checkpoints, then done. */
import type { ElboResult } from '../eval/dataset_elbo.ts';
import type { StreamPosition } from './stream_position.ts';
import type { RunState } from './run_state.ts';

/** The run has begun (or resumed) at `position`. */
export interface RunStartEvent {
  type: 'start';
  /** Steps already trained (0 for a new run). */
  step: number;
  position: StreamPosition;
  resumed: boolean;
  /** Steps per epoch if known (from a resumed run), else null until the first epoch ends. */
  stepsPerEpoch: number | null;
}

/** One step has been queued on the GPU. */
export interface RunStepEvent {
  type: 'step';
  step: number;
  /** Pass over the source (0-based) and minibatch index within it (0-based). */
  epoch: number;
  index: number;
  /** Training samples per second since this epoch's stream began. */
  samplesPerSecond: number;
  /** Share of that time the trainer waited for data, in percent (0: the GPU sets the pace). */
  waitingForDataPercent: number;
}

/**
 * The minibatch metrics of a step, read back from the GPU asynchronously: every `metricsEvery` steps, and before
 * the first of those at steps 1, 2, 4, 8, … (metricsDue in src/train/trainer.ts), so a run reports from its first step.
 */
export interface RunMetricsEvent {
  type: 'metrics';
  step: number;
  samples: number;
  /** Minibatch means in nats per datapoint. */
  elbo: number;
  kl: number;
  logp: number;
}

/** An epoch ended (or the run reached its step budget mid-epoch: `ended` false), with its evaluations. */
export interface RunEpochEvent {
  type: 'epoch';
  /** 1-based number of the epoch that ended. */
  epoch: number;
  ended: boolean;
  /** Steps per epoch, once a whole epoch has been seen; null before. */
  stepsPerEpoch: number | null;
  step: number;
  samples: number;
  samplesPerSecond: number;
  waitingForDataPercent: number;
  /** The ELBO on each evaluation set given to the run, by its name. */
  evaluations: Record<string, ElboResult>;
}

/** The evaluation sets were scored (at an epoch's end, at the run's end, and every `evaluateEvery` steps). */
export interface RunEvaluationEvent {
  type: 'evaluation';
  step: number;
  samples: number;
  /** The ELBO on each evaluation set given to the run, by its name. */
  results: Record<string, ElboResult>;
}

/** A checkpoint was handed to the run's checkpoint sink and the sink finished writing it. */
export interface RunCheckpointEvent {
  type: 'checkpoint';
  step: number;
  /** What the sink returned (e.g. the file's path), or null. */
  location: string | null;
  /** The best model so far (early stopping's `saveBest`), not the run's latest state. */
  best: boolean;
}

/** A stop was asked for (AbortSignal): no more minibatches are taken; a checkpoint and `done` follow. */
export interface RunStoppedEvent {
  type: 'stopped';
  step: number;
}

/** The run is over: its plan is complete, it was stopped, or early stopping ended it. `state` continues it. */
export interface RunDoneEvent {
  type: 'done';
  step: number;
  samples: number;
  reason: 'finished' | 'stopped' | 'early-stopped';
  state: RunState;
}

export type TrainingEvent =
  | RunStartEvent
  | RunStepEvent
  | RunMetricsEvent
  | RunEvaluationEvent
  | RunEpochEvent
  | RunCheckpointEvent
  | RunStoppedEvent
  | RunDoneEvent;
