import { Observable } from 'rxjs';
import type { RowBlock } from '../data/row_block.ts';
import type { RowSource } from '../data/row_source.ts';
import type { Demand } from './demand.ts';

/**
 * One pass over a row source as an Observable of row blocks. It reads the next block only after the previous
 * one has been pushed downstream AND `demand` is open, so a sink that pauses demand pauses the reading itself
 * (the file is not read ahead into memory). Unsubscribing stops the pass and closes the file.
 *
 * @example
 * rowsFrom(fileSource('train.npy'), demand).pipe(shuffleWindow(10_000, seed, epoch), minibatch(100))
 */
export function rowsFrom(source: RowSource, demand?: Demand): Observable<RowBlock> {
  return new Observable<RowBlock>((subscriber) => {
    const iterator = source.open()[Symbol.asyncIterator]();
    let stopped = false;
    void (async () => {
      try {
        for (;;) {
          if (demand) await demand.whenOpen();
          if (stopped) return;
          const { done, value } = await iterator.next();
          if (stopped) return;
          if (done) break;
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
