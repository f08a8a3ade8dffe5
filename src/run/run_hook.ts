/**
 * How the run loop (run_loop.ts) lets the rest of a run take part, as Lightning's callbacks do: checkpoints,
 * evaluation, early stopping, peer rounds and acknowledgement are each a hook in its own file. The loop awaits
 * every hook in turn, with no step queued meanwhile, so a hook sees the trainer exactly at the step it is told.
 */
import type { ElboResult } from '../eval/dataset_elbo.ts';
import type { Trainer } from '../train/trainer.ts';
import type { Minibatch } from '../stream/minibatch.ts';
import type { RunPlan, RunState } from './run_state.ts';
import type { StreamPosition } from './stream_position.ts';
import type { TrainingEvent } from './training_events.ts';

/** What a run needs of a trainer (Trainer has it; the back-pressure tests give a stand-in without a GPU). */
export type RunTrainer = Pick<
  Trainer,
  'step' | 'config' | 'enqueueMinibatch' | 'settle' | 'snapshot' | 'evaluate' | 'watchMetrics' | 'metricsEvery'
>;

/** The run as its hooks see it. */
export interface RunContext {
  readonly trainer: RunTrainer;
  readonly plan: RunPlan;
  /** The next unseen minibatch (normalised: one past an epoch's last minibatch is the next epoch's start). */
  readonly position: StreamPosition;
  /** Steps per epoch, once a whole epoch has been seen; null before. */
  readonly stepsPerEpoch: number | null;
  /** True once the subscriber has left: nothing more is saved or reported. */
  readonly abandoned: boolean;
  emit(event: TrainingEvent): void;
  /** Ends the run after the step being taken (early stopping's way out). */
  stop(reason: 'early-stopped'): void;
  /** The evaluation sets' ELBO at this step; scored once per step however often it is asked for. */
  evaluate(): Promise<Record<string, ElboResult>>;
  /** What a checkpoint taken now records: the position, the plan, and what each hook adds. */
  state(): RunState;
  /** Tells every hook that a checkpoint holding `state` is safely written. */
  checkpointed(state: RunState): Promise<void>;
}

type Awaitable = void | Promise<void>;

/** Every method is optional; the loop calls them in the order of the run's hook list. */
export interface RunHook {
  /** Before the first step (a resume included). */
  start?(run: RunContext): Awaitable;
  /** A pass over the source is about to be read. */
  epochStart?(run: RunContext): Awaitable;
  /** A minibatch is in hand and about to be queued; the steps before it are all queued. */
  beforeStep?(run: RunContext): Awaitable;
  /** The step on `batch` is queued; `run.position` has moved past it. */
  afterStep?(run: RunContext, batch: Minibatch): Awaitable;
  /** The evaluation sets were scored at the trainer's current step. */
  evaluated?(run: RunContext, results: Record<string, ElboResult>): Awaitable;
  /** The pass ended (or the step budget did), after the `epoch` event. */
  epochEnd?(run: RunContext): Awaitable;
  /** The run is over and its steps have all run (not called when the subscriber left). */
  end?(run: RunContext): Awaitable;
  /** What the hook adds to a checkpoint's run state. */
  state?(run: RunContext): Partial<RunState>;
  /** A checkpoint holding `state` is safely written. */
  checkpointed?(run: RunContext, state: RunState): Awaitable;
}
