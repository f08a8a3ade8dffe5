// Node-only: the progress shown on stderr. The bar of `aevb train` (cli-progress): steps, samples/s, the latest
// minibatch ELBO and the share of time the trainer waited for data, all taken from the run's events, and for a
// Redis stream the group's lag, the pending entries, the dead letters and rows/s (stream_report.node.ts); and a
// done/total counter for longer passes (`aevb eval`'s log p(x)). On a terminal both redraw in place; elsewhere
// (CI, a log file) they print whole lines, one every 15 s and one at the end, and never a carriage return.
import cliProgress from 'cli-progress';
import type { RunStepEvent } from '../run/training_events.ts';

/** Milliseconds between lines when stderr is not a terminal. */
const NOT_TTY_INTERVAL_MS = 15_000;

export class Progress {
  private readonly bar: cliProgress.SingleBar;

  /**
   * One bar per epoch, counting that epoch's steps (its minibatches) from `done` (a resume mid-epoch: those
   * before it). `totalSteps` null: the epoch's length is unknown until it ends (and no step budget bounds it),
   * so the bar counts without a total. `stream`: the Redis stream's last standing, or '' for other data.
   * `elbo`: the latest minibatch ELBO read back (an earlier epoch's), shown until this epoch reads one.
   */
  constructor(epoch: number, totalSteps: number | null, done: number, stream = '', elbo: number | null = null) {
    const counter = totalSteps === null ? '{value} steps' : '|{bar}| {value}/{total} steps';
    this.bar = new cliProgress.SingleBar(
      {
        format: `epoch ${epoch + 1} ${counter} | {speed} samples/s | ELBO {elbo} | waiting for data {waiting}%{stream}`,
        noTTYOutput: !process.stderr.isTTY,
        notTTYSchedule: NOT_TTY_INTERVAL_MS,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(totalSteps ?? 0, done, {
      speed: '-',
      elbo: elbo === null ? '-' : elbo.toFixed(2),
      waiting: '-',
      stream: stream === '' ? '' : ` | ${stream}`,
    });
  }

  step(e: RunStepEvent): void {
    this.bar.update(e.index + 1, { speed: e.samplesPerSecond.toFixed(0), waiting: e.waitingForDataPercent.toFixed(1) });
  }

  metrics(elbo: number): void {
    this.bar.update({ elbo: elbo.toFixed(2) });
  }

  /** A Redis stream's standing, shown after the rest: `lag 120 · pending 16/48 · dead 0 · 850 rows/s`. */
  stream(text: string): void {
    this.bar.update({ stream: ` | ${text}` });
  }

  stop(): void {
    this.bar.stop();
  }
}

/** `label: done/total unit` on stderr: redrawn in place on a terminal, else a line every 15 s and at the end. */
export class CountProgress {
  private readonly label: string;
  private readonly unit: string;
  private readonly stream: NodeJS.WriteStream;
  private lastLine = -Infinity;
  private drawn = false;

  constructor(label: string, unit: string, stream: NodeJS.WriteStream = process.stderr) {
    this.label = label;
    this.unit = unit;
    this.stream = stream;
  }

  update(done: number, total: number): void {
    const text = `${this.label}: ${done}/${total} ${this.unit}`;
    if (this.stream.isTTY) {
      this.stream.write(`\r${text}`);
      this.drawn = true;
    } else if (done === total || performance.now() - this.lastLine >= NOT_TTY_INTERVAL_MS) {
      this.stream.write(`${text}\n`);
      this.lastLine = performance.now();
    }
  }

  /** Ends the line drawn in place (nothing to do off a terminal: every line is already whole). */
  end(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
