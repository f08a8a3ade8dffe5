// The minibatches a run would train on, without a trainer: passes of epochBatches one after the other, each
// minibatch prepared as its step's input (binarized by step when asked). For tests and benchmarks that look at
// the data side alone; the run loop (src/run/run_loop.ts) is the one that trains.
import { epochBatches, type EpochBatchesOptions } from '../src/stream/epoch_batches.ts';
import { StepInput } from '../src/stream/step_input.ts';

export interface StreamBatchesOptions extends EpochBatchesOptions {
  binarize: boolean;
  dequantize?: boolean;
  epochs: number;
  /** Stop after this many minibatches. */
  count?: number;
}

/** A minibatch as its step's input (float32), with its epoch, index and step (from 1). */
export interface StreamedBatch {
  data: Float32Array;
  rowIds?: Float64Array;
  epoch: number;
  index: number;
  step: number;
}

/** Every minibatch of `epochs` passes (or the first `count`), each its own array. */
export async function streamBatches(o: StreamBatchesOptions): Promise<StreamedBatch[]> {
  const input = StepInput.of({ binarize: o.binarize, dequantize: o.dequantize ?? false }, o.seed);
  const out: StreamedBatch[] = [];
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    let index = 0;
    for await (const batch of epochBatches(o, epoch)) {
      const step = out.length + 1;
      out.push({
        data: input.prepare(batch, step).slice(),
        ...(batch.rowIds ? { rowIds: batch.rowIds } : {}),
        epoch,
        index: index++,
        step,
      });
      if (out.length === o.count) return out;
    }
  }
  return out;
}
