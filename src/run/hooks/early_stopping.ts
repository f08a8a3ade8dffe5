/**
 * Early stopping: the run ends when the ELBO of the evaluation set it watches has not risen by more than
 * `minDelta` nats for `patience` evaluations in a row; every new best model goes to the sink's `saveBest`.
 * Its state travels in checkpoints, so a resumed run keeps counting.
 *
 * With `restoreBest` (Keras's restore_best_weights), a run that early stopping ends hands back the best
 * evaluation's parameters: they are written into the model before the run's last checkpoint, which then holds
 * them with the last step's position and optimizer state. As in Keras, a run that ends otherwise (its epochs
 * done, a stop signal) keeps its last parameters: only early stopping says the later ones are worse.
 */
import type { ElboResult } from '../../eval/dataset_elbo.ts';
import type { NamedTensor } from '../../model/named_tensors.ts';
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

/** How the best parameters go back into the model, and who hears that they did (the checkpoint hook). */
export interface RestoreBest {
  write(tensors: readonly NamedTensor[], source: string): Promise<void>;
  replaced(): void;
}

export class EarlyStoppingHook implements RunHook {
  private readonly config: EarlyStoppingConfig;
  private readonly on: string;
  /** The best evaluation's tensors (with restoreBest), kept in memory: null before one, or after a resume. */
  private best: { step: number; tensors: readonly NamedTensor[] } | null = null;
  /** This hook ended the run (rather than its plan or a signal). */
  private stoppedRun = false;

  constructor(
    settings: { on: string; patience: number; minDelta: number },
    evaluationSets: Record<string, unknown>,
    private progress: EarlyStoppingState = INITIAL_EARLY_STOPPING,
    private readonly sink?: CheckpointSink,
    private readonly restoreBest?: RestoreBest,
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
    const wanted = update.improved && (this.sink?.saveBest !== undefined || this.restoreBest !== undefined);
    const snapshot = wanted ? await run.trainer.snapshot() : null;
    if (snapshot !== null && this.restoreBest !== undefined)
      this.best = { step: run.trainer.step, tensors: snapshot.tensors };
    if (snapshot !== null && this.sink?.saveBest !== undefined) {
      const location = await this.sink.saveBest({ snapshot, run: run.state() });
      run.emit({ type: 'checkpoint', step: run.trainer.step, location: location ?? null, best: true });
    }
    if (update.stop) {
      this.stoppedRun = true;
      run.stop('early-stopped');
    }
  }

  async end(run: RunContext): Promise<void> {
    if (this.restoreBest === undefined || !this.stoppedRun) return;
    const bestStep = this.progress.bestStep;
    if (bestStep === null || bestStep === run.trainer.step) return; // the last parameters are the best
    const best = this.best ?? (await this.bestFromSink(bestStep));
    await this.restoreBest.write(best.tensors, `the best evaluation's parameters (step ${best.step})`);
    this.restoreBest.replaced();
  }

  state(): Partial<RunState> {
    return { earlyStopping: this.progress };
  }

  /** The best model of a run resumed since it was found: only the sink that saved it has it. */
  private async bestFromSink(bestStep: number): Promise<{ step: number; tensors: readonly NamedTensor[] }> {
    const saved = (await this.sink?.loadBest?.()) ?? null;
    if (saved === null || saved.snapshot.step !== bestStep)
      throw new Error(
        `aevb: restoreBestWeights: the best evaluation (step ${bestStep}) was before the run was resumed, and ` +
          (saved === null
            ? 'the checkpoint sink cannot give it back (it has no loadBest, or it returned null)'
            : `the checkpoint sink's loadBest gave the model of step ${saved.snapshot.step}`),
      );
    return { step: bestStep, tensors: saved.snapshot.tensors };
  }
}
