/**
 * The signal that carries back-pressure up the pipeline: the sink (train_on_gpu.ts) pauses it while it holds
 * batches it cannot hand to the GPU yet, and the source (rows_from.ts) waits on it before reading more.
 */
export class Demand {
  private paused = false;
  private readonly waiters: Array<() => void> = [];

  /** Resolves at once while demand is open, else when it reopens. */
  whenOpen(): Promise<void> {
    if (!this.paused) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const w of this.waiters.splice(0)) w();
  }
}
