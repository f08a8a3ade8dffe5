/**
 * Early stopping: the run ends when the ELBO of the evaluation set it watches has not risen by more than
 * `minDelta` nats for `patience` evaluations in a row; every new best model goes to the sink's `saveBest`.
 * Its state travels in checkpoints, so a resumed run keeps counting.
 */
import type { ElboResult } from '../../eval/dataset_elbo.ts';
import {
  INITIAL_EARLY_STOPPING,
  observeEvaluation,
  validateEarlyStopping,
  type EarlyStoppingConfig,
  type EarlyStoppingState,
} from '../../train/early_stopping.ts';
import type { RunContext, RunHook } from '../run_hook.ts';
import type { RunState } from '../run_state.ts';
import type { CheckpointSink } from './checkpoints.ts';

export class EarlyStoppingHook implements RunHook {
  private readonly config: EarlyStoppingConfig;
  private readonly on: string;

  constructor(
    settings: { on: string; patience: number; minDelta: number },
    evaluationSets: Record<string, unknown>,
    private progress: EarlyStoppingState = INITIAL_EARLY_STOPPING,
    private readonly sink?: CheckpointSink,
  ) {
    // It maximises the ELBO of the set it watches.
    this.config = { patience: settings.patience, minDelta: settings.minDelta, mode: 'max' };
    this.on = settings.on;
    validateEarlyStopping(this.config);
    if (evaluationSets[settings.on] === undefined)
      throw new Error(`aevb: early stopping watches the evaluation set '${settings.on}', which the run was not given`);
  }

  start(run: RunContext): void {
    if (this.progress.stopped) run.stop('early-stopped');
  }

  async evaluated(run: RunContext, results: Record<string, ElboResult>): Promise<void> {
    if (this.progress.stopped) return;
    const update = observeEvaluation(this.config, this.progress, results[this.on].elbo, run.trainer.step);
    this.progress = update.state;
    if (update.improved && this.sink?.saveBest !== undefined) {
      const location = await this.sink.saveBest({ snapshot: await run.trainer.snapshot(), run: run.state() });
      run.emit({ type: 'checkpoint', step: run.trainer.step, location: location ?? null, best: true });
    }
    if (update.stop) run.stop('early-stopped');
  }

  state(): Partial<RunState> {
    return { earlyStopping: this.progress };
  }
}
