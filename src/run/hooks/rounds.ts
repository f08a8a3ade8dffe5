/**
 * Work between steps every `every` steps, with the queued steps all run and nothing else queued: averaging
 * parameters with other trainers (local SGD), say. It may read and replace the model's parameters.
 */
import type { RunContext, RunHook } from '../run_hook.ts';

export interface Rounds {
  every: number;
  run(step: number): Promise<void>;
}

export class RoundsHook implements RunHook {
  constructor(private readonly rounds: Rounds) {}

  async afterStep(run: RunContext): Promise<void> {
    const step = run.trainer.step;
    if (step % this.rounds.every !== 0) return;
    await run.trainer.settle();
    await this.rounds.run(step);
  }
}
