/**
 * A row source whose rows must be acknowledged once training no longer needs them (a Redis stream with a
 * consumer group): acknowledging too early loses rows if the trainer crashes, so the training run tells the
 * source when a checkpoint holding their effect is safely on disk.
 *
 * Rows are numbered in delivery order from 0 in each pass (each open()); a new pass delivers again whatever was
 * delivered before and no checkpoint holds (a pass broken off, or its shuffle window dropped, left rows
 * untrained), so a checkpoint's numbers always refer to the pass being trained from. A source whose unit of
 * acknowledgement holds many rows (a stream entry packing rows) records which of its rows a checkpoint holds and
 * delivers only the others again, numbering those it delivers: it maps a number back to the row it stood for.
 * The run keeps a **low-water mark**: the number L such that every row of the pass numbered below L has been
 * trained on in a step at or before the checkpoint's. Without a shuffle window L is the number of rows consumed
 * into those steps; with one, rows leave the window out of order, so L is the smallest number of a row still
 * waiting (in the window, a partial minibatch or the upload ring) when the checkpoint's step is taken — the
 * window must carry each resident row's number for this. A row with a number ≥ L, unless among the rows
 * trained above L, is not acknowledged, and is trained again after a crash: delivery is at-least-once, never
 * at-most-once, and the rows trained twice are at most those trained after the last checkpoint.
 *
 * The protocol, for a run that checkpoints at step s:
 *   1. state = { rowsConsumed: L, trainedAbove, source: source.checkpointState(L, trainedAbove) }  (at step s)
 *   2. write the checkpoint, state included, atomically
 *   3. await source.checkpointed(state)          (acknowledges, or records, the rows below L and trainedAbove)
 * and on resume, before the first pass is opened: await source.resumeFrom?.(state) with the state read back,
 * which finishes the acknowledgement a crash between 2 and 3 left undone. A resumed run must not skip the
 * minibatches its epoch had reached, as it does to replay a file: the source delivers again exactly what was
 * not acknowledged, and a row skipped there would be counted below L and acknowledged untrained.
 */
import type { RowSource } from './row_source.ts';

export interface AcknowledgingSource extends RowSource {
  /** Rows delivered so far that a checkpoint now contains: the source may acknowledge them (Redis XACK) or record them. */
  checkpointed(state: unknown): Promise<void>;
  /**
   * What the source needs in a checkpoint to finish acknowledging after a crash (JSON-serialisable). Given the
   * checkpoint's low-water mark, it keeps only what acknowledging up to it needs: a smaller checkpoint.
   */
  checkpointState(rowsConsumed?: number, trainedAbove?: readonly number[]): unknown;
  /** Called once with the state from the checkpoint being resumed. */
  resumeFrom?(state: unknown): Promise<void>;
  /** Releases connections; the source cannot be used afterwards. */
  close?(): Promise<void>;
}

/** The state a run hands to checkpointed() and resumeFrom(), and stores in its checkpoint. */
export interface CheckpointedRows {
  /** The low-water mark L: every row numbered below it is in the checkpoint. */
  rowsConsumed: number;
  /**
   * Rows numbered L or above that are in the checkpoint too (trained out of order through the shuffle window),
   * ascending: an entry whose rows all lie below L or in this list is acknowledged as well, so a row left
   * untrained (a pass's last partial minibatch) holds back only its own entry, not every entry after it.
   */
  trainedAbove?: number[];
  /** What the source's checkpointState() returned at the checkpoint's step. */
  source: unknown;
}

/** True for a source that wants to hear about checkpoints. */
export function isAcknowledgingSource(source: RowSource): source is AcknowledgingSource {
  const s = source as Partial<AcknowledgingSource>;
  return typeof s.checkpointed === 'function' && typeof s.checkpointState === 'function';
}

/** Reads a CheckpointedRows back (from JSON), naming `where` when it is not one. */
export function checkpointedRowsOf(state: unknown, where: string): CheckpointedRows {
  const s = state as Partial<CheckpointedRows> | null;
  if (s === null || typeof s !== 'object' || !Number.isInteger(s.rowsConsumed) || s.rowsConsumed! < 0) {
    throw new Error(
      `${where}: expected { rowsConsumed: a non-negative integer, source: … } from the training run, got ${JSON.stringify(state)}`,
    );
  }
  const above = s.trainedAbove;
  if (
    above !== undefined &&
    !(
      Array.isArray(above) &&
      above.every((r, i) => Number.isSafeInteger(r) && r >= s.rowsConsumed! && (i === 0 || r > above[i - 1]))
    )
  ) {
    throw new Error(
      `${where}: expected trainedAbove to be ascending row numbers ≥ rowsConsumed (${s.rowsConsumed}), got ${JSON.stringify(above).slice(0, 200)}`,
    );
  }
  return { rowsConsumed: s.rowsConsumed!, ...(above === undefined ? {} : { trainedAbove: above }), source: s.source };
}
