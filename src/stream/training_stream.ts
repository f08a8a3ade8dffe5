/**
 * The whole data side of a streamed run, from a re-openable row source to positioned minibatches:
 *   epochs( rowsFrom(source) → shuffleWindow → minibatch(B, drop partial) → position ) → [binarize | dequantize]
 * starting at any position (a resume skips the batches of the current epoch it has already trained on;
 * they are re-read and re-shuffled identically, not stored). Memory: the shuffle window + one source block
 * + one partial batch, whatever the source's size.
 */
import { defer, map, skip, type Observable } from 'rxjs';
import type { RowSource } from '../data/row_source.ts';
import { binarize } from './binarize.ts';
import { dequantize } from './dequantize.ts';
import type { Demand } from './demand.ts';
import { epochs } from './epochs.ts';
import { minibatch } from './minibatch.ts';
import type { PositionedBatch, StreamPosition } from './positioned_batch.ts';
import { rowsFrom } from './rows_from.ts';
import { shuffleWindow } from './shuffle_window.ts';

export interface TrainingStreamOptions {
  source: RowSource;
  B: number;
  seed: number;
  /** Rows in the shuffle window (1 = no shuffling). */
  shuffleWindowRows: number;
  /** Binarize dynamically (Bernoulli with the value as probability); false keeps grey levels. */
  binarize: boolean;
  /** Dequantize 8-bit grey levels uniformly, (k + u)/256, afresh at every step (dequantize.ts); needs binarize false. */
  dequantize?: boolean;
  /** Passes over the source; Infinity to stream forever. */
  epochs: number;
  /** Where to start; STREAM_START for a new run. */
  start: StreamPosition;
  /** Number the rows of each pass and carry the numbers to the minibatches (PositionedBatch.rowIds). */
  numberRows?: boolean;
}

export function trainingStream(o: TrainingStreamOptions, demand?: Demand): Observable<PositionedBatch> {
  return defer(() => {
    let step = o.start.step;
    const pass = (epoch: number) => {
      const skipped = epoch === o.start.epoch ? o.start.index : 0;
      return rowsFrom(o.source, demand, { numbered: o.numberRows, epoch }).pipe(
        shuffleWindow(o.shuffleWindowRows, o.seed, epoch, { demand }),
        minibatch(o.B),
        skip(skipped),
        map(({ data, rowIds }, i): PositionedBatch => ({ data, epoch, index: skipped + i, step: step++, ...(rowIds ? { rowIds } : {}) })),
      );
    };
    const stream = epochs(o.epochs - o.start.epoch, pass, o.start.epoch);
    if (o.binarize && o.dequantize) throw new Error('aevb: dequantization keeps grey levels: it cannot follow binarization (pass --no-binarize)');
    return o.binarize ? stream.pipe(binarize(o.seed)) : o.dequantize ? stream.pipe(dequantize(o.seed)) : stream;
  });
}
