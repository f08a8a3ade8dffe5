/**
 * Checkpoints on a cadence, at every epoch's end and at the run's end. A checkpoint due after step s is
 * written just before step s + 1 is queued, or at the epoch's end if s was its last step: only then is it known
 * whether the position after s is inside the epoch or the next epoch's start, so a checkpoint never records
 * "one past the end". Once the sink has written it, the other hooks hear of it (acknowledgement).
 */
import type { Checkpoint } from '../run_state.ts';
import type { RunContext, RunHook } from '../run_hook.ts';

/** Why a checkpoint is being written: the cadence, an epoch's end, or the run's end. */
export type CheckpointOccasion = 'step' | 'epoch' | 'end';

export interface CheckpointSink {
  /** Also save every this many steps (0 or absent: only at each epoch's end and the run's end). */
  every?: number;
  /** Writes the checkpoint; may return where it went (a path). A throw ends the run with that error. */
  save(checkpoint: Checkpoint, occasion: CheckpointOccasion): Promise<string | void> | string | void;
  /** Writes the best model so far (with early stopping): kept beside the last one, never overwriting it. */
  saveBest?(checkpoint: Checkpoint): Promise<string | void> | string | void;
  /**
   * Reads back the best model saveBest wrote (null: none): what restoreBestWeights restores when the best
   * evaluation came before a resume, so it is no longer in memory.
   */
  loadBest?(): Promise<Checkpoint | null> | Checkpoint | null;
}

export class CheckpointHook implements RunHook {
  private due = false;
  /** The step of the last checkpoint written: the same state is not written twice. */
  private savedAt = -1;

  constructor(private readonly sink: CheckpointSink) {}

  afterStep(run: RunContext): void {
    const every = run.plan.checkpointEvery;
    if (every > 0 && run.trainer.step % every === 0) this.due = true;
  }

  async beforeStep(run: RunContext): Promise<void> {
    if (this.due) await this.save(run, 'step');
  }

  epochEnd(run: RunContext): Promise<void> {
    return this.save(run, 'epoch');
  }

  end(run: RunContext): Promise<void> {
    return this.save(run, 'end');
  }

  /** The parameters changed since the last save at this step (the peers' final round): the run's end saves again. */
  parametersReplaced(): void {
    this.savedAt = -1;
  }

  private async save(run: RunContext, occasion: CheckpointOccasion): Promise<void> {
    this.due = false;
    if (this.savedAt === run.trainer.step || run.abandoned) return;
    const state = run.state();
    const location = await this.sink.save({ snapshot: await run.trainer.snapshot(), run: state }, occasion);
    this.savedAt = state.position.step - 1;
    await run.checkpointed(state);
    run.emit({ type: 'checkpoint', step: this.savedAt, location: location ?? null, best: false });
  }
}
