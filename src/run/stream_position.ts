/** Where a run stands in its data: the next unseen minibatch. A checkpoint records it to resume mid-stream. */
export interface StreamPosition {
  /** Pass over the source (0-based). */
  epoch: number;
  /** Index of the minibatch within the pass (0-based). */
  index: number;
  /** The training step that minibatch is for (1-based): always the trainer's steps + 1. */
  step: number;
}

export const STREAM_START: StreamPosition = { epoch: 0, index: 0, step: 1 };
