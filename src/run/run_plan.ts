/**
 * A run's plan from its options, and where a run starts: at the beginning, or where the checkpoint it resumes
 * stopped (which must continue the same sequence of minibatches).
 */
import type { RowSource } from '../data/row_source.ts';
import { isAcknowledgingSource } from '../data/acknowledging_source.ts';
import type { RunPlan, RunState } from './run_state.ts';
import { STREAM_START, type StreamPosition } from './stream_position.ts';
import { RUN_DEFAULTS } from './run_defaults.ts';

/** The options a plan is made of (TrainingRunOptions has them). */
export interface PlanOptions {
  epochs?: number;
  steps?: number;
  shuffleWindow?: number;
  binarize?: boolean;
  checkpoints?: { every?: number };
  data?: RunPlan['data'];
  earlyStopping?: { on?: string; patience: number; minDelta?: number };
  /** Kept in the plan (so in every checkpoint) for a resume to go on restoring: TrainingRunOptions says what it does. */
  restoreBestWeights?: boolean;
}

/** The plan the options ask for, checked. */
export function planOf(o: PlanOptions): RunPlan {
  const epochs = o.epochs ?? (o.steps === undefined ? 1 : Infinity);
  if (!(epochs >= 1)) throw new Error(`aevb: a run needs epochs ≥ 1 (or Infinity), got ${epochs}`);
  if (o.steps !== undefined && !(Number.isInteger(o.steps) && o.steps >= 1))
    throw new Error(`aevb: steps must be an integer ≥ 1, got ${o.steps}`);
  const early = o.earlyStopping;
  return {
    epochs: Number.isFinite(epochs) ? epochs : null,
    steps: o.steps ?? null,
    checkpointEvery: o.checkpoints?.every ?? 0,
    shuffleWindow: o.shuffleWindow ?? RUN_DEFAULTS.shuffleWindow,
    binarize: o.binarize ?? RUN_DEFAULTS.binarize,
    data: o.data ?? null,
    earlyStopping:
      early === undefined
        ? null
        : {
            on: early.on ?? 'validation',
            patience: early.patience,
            minDelta: early.minDelta ?? 0,
            ...(o.restoreBestWeights === true ? { restoreBest: true } : {}),
          },
  };
}

/**
 * Where the run's first step takes its minibatch. A trainer that has trained must come with the run state of
 * the same checkpoint, and the plan must cut the same minibatches. A source that acknowledges rows delivers
 * again whatever it has not had acknowledged (data/acknowledging_source.ts), so its pass restarts at index 0
 * rather than skipping minibatches it will not deliver again.
 */
export function startOf(
  trainedSteps: number,
  plan: RunPlan,
  resume: RunState | undefined,
  source: RowSource,
): StreamPosition {
  if (resume === undefined) {
    if (trainedSteps !== 0)
      throw new Error(
        `aevb: the trainer has already trained ${trainedSteps} steps: pass the run state of its checkpoint as 'resume'`,
      );
    return STREAM_START;
  }
  for (const key of ['shuffleWindow', 'binarize'] as const) {
    if (plan[key] !== resume.plan[key]) {
      throw new Error(
        `aevb: the run being resumed streamed with ${key} ${resume.plan[key]}, not ${plan[key]}; changing it would change the minibatches`,
      );
    }
  }
  if (resume.position.step !== trainedSteps + 1) {
    throw new Error(
      `aevb: the run state continues at step ${resume.position.step}, but the trainer has trained ${trainedSteps} steps: restore both from the same checkpoint`,
    );
  }
  return isAcknowledgingSource(source) ? { ...resume.position, index: 0 } : resume.position;
}
