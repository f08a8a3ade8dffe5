/**
 * The data side of a training run, one pass at a time, pulled:
 *   source.open(epoch) → [number the rows] → shuffle window → minibatches of B (a partial last one dropped)
 * Nothing is read until a minibatch is asked for, and only as much as it takes: the consumer's pace is the
 * back-pressure, so memory is the shuffle window + one source block + one partial batch, however large the
 * source. A resumed pass skips the minibatches already trained on (they are re-read and re-shuffled
 * identically, not stored). Breaking out of the loop closes what the pass opened.
 */
import type { RowSource } from '../data/row_source.ts';
import { Batcher, type Minibatch } from './minibatch.ts';
import { ShuffleWindow } from './shuffle_window.ts';

export interface EpochBatchesOptions {
  source: RowSource;
  /** Rows per minibatch. */
  B: number;
  /** The run's seed: the shuffle of pass e draws from it. */
  seed: number;
  /** Rows in the shuffle window (1: no shuffling). */
  shuffleWindowRows: number;
  /** Number the rows of the pass from 0 and carry the numbers to the minibatches (Minibatch.rowIds). */
  numberRows?: boolean;
}

/**
 * The minibatches of pass `epoch` from its `skip`-th on (0-based).
 *
 * @example
 * for await (const batch of epochBatches({ source, B: 100, seed: 1, shuffleWindowRows: 60_000 }, 0)) train(batch.data);
 */
export async function* epochBatches(o: EpochBatchesOptions, epoch: number, skip = 0): AsyncGenerator<Minibatch> {
  const window = new ShuffleWindow(o.shuffleWindowRows, o.seed, epoch);
  const batcher = new Batcher(o.B);
  let index = 0;
  let delivered = 0;
  for await (const block of o.source.open(epoch)) {
    if (o.numberRows) {
      block.ids = new Float64Array(block.rows);
      for (let r = 0; r < block.rows; r++) block.ids[r] = delivered + r;
      delivered += block.rows;
    }
    // A stream that waited and got nothing: the rows the window holds leave now instead of waiting for a full window.
    const out = block.idle ? window.drain(batcher) : window.push(block, batcher);
    for (const batch of out) if (index++ >= skip) yield batch;
  }
  for (const batch of window.drain(batcher)) if (index++ >= skip) yield batch;
}
