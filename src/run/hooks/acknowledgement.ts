/**
 * For a source that acknowledges rows (a Redis stream; data/acknowledging_source.ts): the run tells it, after
 * each checkpoint is safely written, which rows that checkpoint holds — those below the pass's low-water mark
 * and those trained above it — and on a resume first finishes an acknowledgement a crash left undone.
 */
import type { AcknowledgingSource, CheckpointedRows } from '../../data/acknowledging_source.ts';
import type { Minibatch } from '../../stream/minibatch.ts';
import type { RunHook } from '../run_hook.ts';
import type { RunState } from '../run_state.ts';
import { RowMark } from '../row_mark.ts';

export class AcknowledgementHook implements RunHook {
  private mark = new RowMark();

  constructor(
    private readonly source: AcknowledgingSource,
    private readonly resumed?: CheckpointedRows,
  ) {}

  async start(): Promise<void> {
    if (this.resumed !== undefined) await this.source.resumeFrom?.(this.resumed);
  }

  /** Rows are numbered afresh in every pass. */
  epochStart(): void {
    this.mark = new RowMark();
  }

  afterStep(_run: unknown, batch: Minibatch): void {
    if (batch.rowIds !== undefined) this.mark.trained(batch.rowIds);
  }

  state(): Partial<RunState> {
    const trainedAbove = this.mark.trainedAbove();
    const rowsConsumed = this.mark.low;
    return {
      acknowledged: { rowsConsumed, trainedAbove, source: this.source.checkpointState(rowsConsumed, trainedAbove) },
    };
  }

  async checkpointed(_run: unknown, state: RunState): Promise<void> {
    await this.source.checkpointed(state.acknowledged!);
  }
}
