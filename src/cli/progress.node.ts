// Node-only: the progress bar of `aevb train` (cli-progress): steps, samples/s, the latest minibatch ELBO and
// the share of time the trainer waited for data, all taken from the run's events. On a terminal it redraws in
// place; elsewhere (CI, a log file) it prints a line every 15 s.
import cliProgress from 'cli-progress';
import type { RunStepEvent } from '../run/training_events.ts';

export class Progress {
  private readonly bar: cliProgress.SingleBar;

  /** `totalSteps` null: the epoch's length is unknown until it ends, so the bar counts without a total. */
  constructor(epoch: number, totalSteps: number | null, firstStep: number) {
    const counter = totalSteps === null ? '{value} steps' : '|{bar}| {value}/{total} steps';
    this.bar = new cliProgress.SingleBar({
      format: `epoch ${epoch + 1} ${counter} | {speed} samples/s | ELBO {elbo} | waiting for data {waiting}%`,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 15_000,
      hideCursor: true,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(totalSteps ?? 0, firstStep, { speed: '-', elbo: '-', waiting: '-' });
  }

  step(e: RunStepEvent): void {
    this.bar.update(e.step, { speed: e.samplesPerSecond.toFixed(0), waiting: e.waitingForDataPercent.toFixed(1) });
  }

  metrics(elbo: number): void {
    this.bar.update({ elbo: elbo.toFixed(2) });
  }

  stop(): void {
    this.bar.stop();
  }
}
