/**
 * Early stopping as a small pure state machine: each evaluation (a validation ELBO, say) is fed to
 * `observeEvaluation`, which returns the next state and whether the value was a new best (keep that checkpoint)
 * and whether to stop. The state is plain JSON, so it goes into the checkpoint and a resumed run keeps counting
 * where it left off.
 *
 * A value improves on the best when it beats it by more than `minDelta` in the configured direction (ELBOs
 * are maximised). After `patience` evaluations in a row without improvement the run should stop. A NaN value
 * never improves (a diverged run counts down to its stop instead of being taken as a best).
 */

export interface EarlyStoppingConfig {
  /** Evaluations in a row without improvement after which to stop (≥ 1). */
  patience: number;
  /** How much a value must beat the best by to count as an improvement (≥ 0, in the value's units: nats). */
  minDelta: number;
  /** 'max' when higher is better (ELBO, log p(x)), 'min' for a loss. */
  mode: 'max' | 'min';
}

export interface EarlyStoppingState {
  /** The best value seen so far; null before the first evaluation. */
  best: number | null;
  /** The training step of the best value (null before the first evaluation). */
  bestStep: number | null;
  /** Evaluations since the best one. */
  sinceBest: number;
  /** True once `patience` evaluations passed without improvement. */
  stopped: boolean;
}

/** The outcome of one evaluation. */
export interface EarlyStoppingUpdate {
  state: EarlyStoppingState;
  /** This value is the new best: the caller keeps this model as the best checkpoint. */
  improved: boolean;
  /** Stop training now. */
  stop: boolean;
}

export const INITIAL_EARLY_STOPPING: EarlyStoppingState = { best: null, bestStep: null, sinceBest: 0, stopped: false };

/** Throws a message naming the field when a setting is out of range. */
export function validateEarlyStopping(c: EarlyStoppingConfig, where = 'earlyStopping'): void {
  if (!Number.isSafeInteger(c.patience) || c.patience < 1)
    throw new Error(
      `aevb: ${where}.patience must be an integer ≥ 1 (evaluations without improvement), got ${c.patience}`,
    );
  if (!(Number.isFinite(c.minDelta) && c.minDelta >= 0))
    throw new Error(`aevb: ${where}.minDelta must be a finite number ≥ 0, got ${c.minDelta}`);
  if (c.mode !== 'max' && c.mode !== 'min') throw new Error(`aevb: ${where}.mode must be max or min, got '${c.mode}'`);
}

/** The next state after an evaluation that gave `value` at training step `step`. Does not change `state`. */
export function observeEvaluation(
  config: EarlyStoppingConfig,
  state: EarlyStoppingState,
  value: number,
  step: number,
): EarlyStoppingUpdate {
  if (state.stopped)
    throw new Error(
      `aevb: early stopping already stopped the run (best ${state.best} at step ${state.bestStep}); no further evaluations are expected`,
    );
  const better = (a: number, b: number) => (config.mode === 'max' ? a > b + config.minDelta : a < b - config.minDelta);
  const improved = !Number.isNaN(value) && (state.best === null || better(value, state.best));
  if (improved) return { state: { best: value, bestStep: step, sinceBest: 0, stopped: false }, improved, stop: false };
  const sinceBest = state.sinceBest + 1;
  const stop = sinceBest >= config.patience;
  return { state: { ...state, sinceBest, stopped: stop }, improved, stop };
}

/** Checks a state read back from a checkpoint and returns it typed; `where` names it in messages. */
export function parseEarlyStoppingState(value: unknown, where = 'earlyStopping'): EarlyStoppingState {
  const o = value as Partial<Record<keyof EarlyStoppingState, unknown>> | null;
  const expected = `${where} must be {best: number | null, bestStep: integer | null, sinceBest: integer ≥ 0, stopped: boolean}`;
  if (typeof o !== 'object' || o === null) throw new Error(`aevb: ${expected}, got ${JSON.stringify(value)}`);
  const ok =
    (o.best === null || typeof o.best === 'number') &&
    (o.bestStep === null || (Number.isSafeInteger(o.bestStep) && (o.bestStep as number) >= 0)) &&
    (o.best === null) === (o.bestStep === null) &&
    Number.isSafeInteger(o.sinceBest) &&
    (o.sinceBest as number) >= 0 &&
    typeof o.stopped === 'boolean';
  if (!ok) throw new Error(`aevb: ${expected}, got ${JSON.stringify(value)}`);
  return {
    best: o.best as number | null,
    bestStep: o.bestStep as number | null,
    sinceBest: o.sinceBest as number,
    stopped: o.stopped as boolean,
  };
}
