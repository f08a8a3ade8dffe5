/**
 * Work between steps every `every` steps, with the queued steps all run and nothing else queued: averaging
 * parameters with other trainers (local SGD), say. It may read and replace the model's parameters. At the run's
 * end, `final` may replace them once more (the peers' final round): the run's last checkpoint is then written
 * again, after it, even at a step already saved.
 */
import type { RunContext, RunHook } from '../run_hook.ts';

export interface Rounds {
  every: number;
  run(step: number): Promise<void>;
  /** The run is over (not called when it was abandoned); resolves to whether the parameters were replaced. */
  final?(step: number): Promise<boolean>;
}

export class RoundsHook implements RunHook {
  /** `replaced`: the parameters changed after the last checkpoint was written (the checkpoint hook saves again). */
  constructor(
    private readonly rounds: Rounds,
    private readonly replaced: () => void = () => {},
  ) {}

  async afterStep(run: RunContext): Promise<void> {
    const step = run.trainer.step;
    if (step % this.rounds.every !== 0) return;
    await run.trainer.settle();
    await this.rounds.run(step);
  }

  async end(run: RunContext): Promise<void> {
    if (this.rounds.final === undefined) return;
    await run.trainer.settle();
    if (await this.rounds.final(run.trainer.step)) this.replaced();
  }
}
