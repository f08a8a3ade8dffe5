/**
 * A training run as one promise, for code that wants the outcome rather than the stream of events (Keras's
 * fit(), which returns a History): resolves, when the run is done, with every metrics read-back, every
 * evaluation and epoch, the checkpoints written and the `done` event (whose `state` continues the run).
 *
 * @example
 * const history = await fit(trainer, { source, epochs: 5, evaluate: { test } });
 * console.log(history.epochs.map((e) => e.evaluations.test.elbo));
 */
import { lastValueFrom, tap } from 'rxjs';
import type { Trainer } from '../train/trainer.ts';
import { trainingRun, type TrainingRunOptions } from './training_run.ts';
import type {
  RunCheckpointEvent,
  RunDoneEvent,
  RunEpochEvent,
  RunEvaluationEvent,
  RunMetricsEvent,
  TrainingEvent,
} from './training_events.ts';

export interface TrainingHistory {
  /** The minibatch metrics read back during the run (every `metricsEvery` steps; 1, 2, 4, … before), in step order. */
  metrics: RunMetricsEvent[];
  /** The evaluation sets' scores, each time they were scored. */
  evaluations: RunEvaluationEvent[];
  /** Every epoch's end (and the step budget's), with its evaluations. */
  epochs: RunEpochEvent[];
  checkpoints: RunCheckpointEvent[];
  /** How the run ended; `done.state` continues it (or call fit again on the same trainer). */
  done: RunDoneEvent;
}

/** Runs `trainingRun(trainer, options)` to its end; `onEvent` sees every event on the way (a progress bar). */
export async function fit(
  trainer: Trainer,
  options: TrainingRunOptions,
  onEvent?: (event: TrainingEvent) => void,
): Promise<TrainingHistory> {
  const history: Omit<TrainingHistory, 'done'> & { done: RunDoneEvent | null } = {
    metrics: [],
    evaluations: [],
    epochs: [],
    checkpoints: [],
    done: null,
  };
  await lastValueFrom(
    trainingRun(trainer, options).pipe(
      tap((event) => {
        onEvent?.(event);
        if (event.type === 'metrics') history.metrics.push(event);
        else if (event.type === 'evaluation') history.evaluations.push(event);
        else if (event.type === 'epoch') history.epochs.push(event);
        else if (event.type === 'checkpoint') history.checkpoints.push(event);
        else if (event.type === 'done') history.done = event;
      }),
    ),
  );
  if (history.done === null) throw new Error('aevb: the training run ended without its done event');
  return { ...history, done: history.done };
}
