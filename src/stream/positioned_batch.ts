/** A training minibatch and where it sits in the run: what a checkpoint records to resume mid-stream. */
export interface PositionedBatch {
  /** B·D values in [0, 1]. */
  data: Float32Array;
  /** Pass over the source this batch came from (0-based). */
  epoch: number;
  /** Index of the batch within its epoch (0-based). */
  index: number;
  /** The training step it is for (1-based): also its binarization counter. */
  step: number;
  /** Its rows' numbers in delivery order within the pass, when the run tracks them (acknowledging sources). */
  rowIds?: Float64Array;
}

/** Where a (resumed) stream starts: the next unseen minibatch. */
export interface StreamPosition {
  epoch: number;
  index: number;
  step: number;
}

export const STREAM_START: StreamPosition = { epoch: 0, index: 0, step: 1 };
