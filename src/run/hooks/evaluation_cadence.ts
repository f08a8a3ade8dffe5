/** Scores the evaluation sets every `every` steps, besides every epoch's end (which the loop does). */
import type { RunContext, RunHook } from '../run_hook.ts';

export class EvaluationCadenceHook implements RunHook {
  constructor(private readonly every: number) {}

  async afterStep(run: RunContext): Promise<void> {
    if (run.trainer.step % this.every === 0) await run.evaluate();
  }
}
