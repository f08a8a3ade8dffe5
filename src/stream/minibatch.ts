import { Observable, type OperatorFunction } from 'rxjs';
import type { RowBlock } from '../data/row_block.ts';

/** A minibatch: B·D values in [0, 1], row-major, and its rows' numbers when the blocks carried them. */
export interface Minibatch {
  data: Float32Array;
  rowIds?: Float64Array;
}

/**
 * Row blocks in, minibatches out: Float32Array(B·D) of values scaled into [0, 1] (bytes × 1/255), row-major.
 * Rows are copied once, straight into the batch being filled, so at most one partial batch is held. On
 * completion a last partial batch is emitted only with `keepPartial` (its length is then rows·D < B·D).
 *
 * @example
 * rows$.pipe(minibatch(100))                          // drop the last partial batch
 * rows$.pipe(minibatch(100, { keepPartial: true }))   // keep it
 */
export function minibatch(B: number, options: { keepPartial?: boolean } = {}): OperatorFunction<RowBlock, Minibatch> {
  if (!Number.isInteger(B) || B < 1) throw new Error(`aevb: a minibatch holds at least 1 row, got ${B}`);
  return (source) => new Observable<Minibatch>((subscriber) => {
    let batch: Float32Array | null = null;
    let ids: Float64Array | null = null;
    let rows = 0;
    let D = 0;
    return source.subscribe({
      next(block) {
        if (batch === null || block.D !== D) {
          if (batch !== null && rows > 0) {
            subscriber.error(new Error(`aevb: rows changed from ${D} to ${block.D} values mid-batch`));
            return;
          }
          D = block.D;
          batch = new Float32Array(B * D);
        }
        if (block.ids !== undefined) ids ??= new Float64Array(B);
        for (let r = 0; r < block.rows; r++) {
          const offset = rows * D;
          for (let d = 0; d < D; d++) batch[offset + d] = block.values[r * D + d] * block.scale;
          if (ids !== null) ids[rows] = block.ids![r];
          if (++rows === B) {
            subscriber.next(ids === null ? { data: batch } : { data: batch, rowIds: ids });
            batch = new Float32Array(B * D);
            if (ids !== null) ids = new Float64Array(B);
            rows = 0;
          }
        }
      },
      error: (e) => subscriber.error(e),
      complete() {
        if (options.keepPartial && batch !== null && rows > 0) {
          subscriber.next(ids === null ? { data: batch.slice(0, rows * D) } : { data: batch.slice(0, rows * D), rowIds: ids.slice(0, rows) });
        }
        subscriber.complete();
      },
    });
  });
}
