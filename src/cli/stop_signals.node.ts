// Node-only: Ctrl-C and SIGTERM as a stop a command can finish gracefully (the run saves a checkpoint, encode
// removes its temporary files), and the exit code that says which signal it was.

export class StopSignals {
  /** Aborted at the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** The first signal received, or null. */
  received: NodeJS.Signals | null = null;
  private readonly stop = new AbortController();
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.received ??= signal;
    this.stop.abort();
  };

  constructor() {
    this.signal = this.stop.signal;
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Stops listening (a later Ctrl-C ends the process as usual). */
  release(): void {
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
  }

  /** 130 after SIGINT, 143 after SIGTERM (128 + the signal's number), as shells report them; undefined if none. */
  get exitCode(): number | undefined {
    return this.received === null ? undefined : this.received === 'SIGINT' ? 130 : 143;
  }
}
