/** Where one pass's time goes: samples per second since it began, and the share spent waiting for data. */
export class Pace {
  /** Whether the pass ran to its end (false: the step budget or a stop ended it). */
  ended = false;
  private readonly started = performance.now();
  private waitingMs = 0;

  constructor(
    readonly firstStep: number,
    private readonly B: number,
  ) {}

  /** Awaits `next`, counting the wait as time without data. */
  async waitingForData<T>(next: Promise<T>): Promise<T> {
    const since = performance.now();
    try {
      return await next;
    } finally {
      this.waitingMs += performance.now() - since;
    }
  }

  passEnded(): this {
    this.ended = true;
    return this;
  }

  /** The pass's figures once the trainer stands at `step`. */
  at(step: number): { samplesPerSecond: number; waitingForDataPercent: number } {
    const ms = performance.now() - this.started;
    return {
      samplesPerSecond: ms > 0 ? ((step - this.firstStep) * this.B) / (ms / 1000) : 0,
      waitingForDataPercent: ms > 0 ? (100 * this.waitingMs) / ms : 0,
    };
  }
}
