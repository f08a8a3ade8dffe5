// Node-only: the progress bar of `aevb train` (cli-progress): steps, samples/s, the latest minibatch ELBO and
// the share of time the trainer waited for data. On a terminal it redraws in place; elsewhere (CI, a log
// file) it prints a line every 15 s.
import cliProgress from 'cli-progress';
import type { PipelineStats } from '../stream/train_on_gpu.ts';

export class Progress {
  private readonly bar: cliProgress.SingleBar;
  private readonly first: number;
  private readonly started = performance.now();
  private readonly trainer: { step: number };
  private readonly batch: number;
  private readonly stats: PipelineStats;

  /** `totalSteps` null: the epoch's length is unknown until it ends, so the bar counts without a total. */
  constructor(epoch: number, totalSteps: number | null, trainer: { step: number }, batch: number, stats: PipelineStats) {
    this.trainer = trainer;
    this.batch = batch;
    this.stats = stats;
    this.first = trainer.step;
    const counter = totalSteps === null ? '{value} steps' : '|{bar}| {value}/{total} steps';
    this.bar = new cliProgress.SingleBar({
      format: `epoch ${epoch + 1} ${counter} | {speed} samples/s | ELBO {elbo} | waiting for data {waiting}%`,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 15_000,
      hideCursor: true,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(totalSteps ?? 0, trainer.step, { speed: '-', elbo: '-', waiting: '-' });
  }

  step(): void {
    const seconds = (performance.now() - this.started) / 1000;
    const waiting = this.stats.elapsedMs > 0 ? (100 * this.stats.waitingForDataMs) / this.stats.elapsedMs : 0;
    this.bar.update(this.trainer.step, { speed: (((this.trainer.step - this.first) * this.batch) / seconds).toFixed(0), waiting: waiting.toFixed(1) });
  }

  metrics(elbo: number): void {
    this.bar.update({ elbo: elbo.toFixed(2) });
  }

  stop(): void {
    this.bar.stop();
  }
}
