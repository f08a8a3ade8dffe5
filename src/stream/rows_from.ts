import { Observable } from 'rxjs';
import type { RowBlock } from '../data/row_block.ts';
import type { RowSource } from '../data/row_source.ts';
import type { Demand } from './demand.ts';

/**
 * One pass over a row source as an Observable of row blocks. It reads the next block only after the previous
 * one has been pushed downstream AND `demand` is open, so a sink that pauses demand pauses the reading itself
 * (the file is not read ahead into memory). Unsubscribing stops the pass and closes the file. With `numbered`,
 * each block carries its rows' numbers in delivery order (RowBlock.ids), counted from 0 in this pass.
 *
 * @example
 * rowsFrom(fileSource('train.npy'), demand).pipe(shuffleWindow(10_000, seed, epoch), minibatch(100))
 */
export function rowsFrom(source: RowSource, demand?: Demand, options: { numbered?: boolean; epoch?: number } = {}): Observable<RowBlock> {
  return new Observable<RowBlock>((subscriber) => {
    const iterator = source.open(options.epoch)[Symbol.asyncIterator]();
    let stopped = false;
    let delivered = 0;
    void (async () => {
      try {
        for (;;) {
          if (demand) await demand.whenOpen();
          if (stopped) return;
          const { done, value } = await iterator.next();
          if (stopped) return;
          if (done) break;
          if (options.numbered) {
            value.ids = Float64Array.from({ length: value.rows }, (_, r) => delivered + r);
            delivered += value.rows;
          }
          subscriber.next(value);
        }
        subscriber.complete();
      } catch (error) {
        if (!stopped) subscriber.error(error);
      }
    })();
    return () => {
      stopped = true;
      void iterator.return?.();
    };
  });
}
