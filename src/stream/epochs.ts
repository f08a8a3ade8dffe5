import { defer, repeat, type Observable } from 'rxjs';

/**
 * Passes one after the other: `pass(e)` is subscribed only when pass e − 1 has completed, so each epoch
 * re-opens its source (and a shuffle can depend on e). `count` may be Infinity for an endless stream; the
 * passes are re-subscribed in place, so nothing accumulates from one epoch to the next.
 *
 * @example
 * epochs(10, (e) => rowsFrom(source, demand).pipe(shuffleWindow(w, seed, e), minibatch(B)))
 */
export function epochs<T>(count: number, pass: (epoch: number) => Observable<T>, first = 0): Observable<T> {
  if (!(count >= 1)) throw new Error(`aevb: epochs needs a count ≥ 1 (or Infinity), got ${count}`);
  return defer(() => {
    let epoch = first;
    return defer(() => pass(epoch++)).pipe(repeat(count));
  });
}
