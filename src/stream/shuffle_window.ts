import { Observable, type OperatorFunction } from 'rxjs';
import type { RowBlock } from '../data/row_block.ts';
import { philoxUniforms } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import type { Demand } from './demand.ts';

/** Uniform draws per Philox refill of the shuffle window. */
const DRAWS_PER_REFILL = 4096;

/**
 * A bounded shuffle: rows enter a window of `windowRows`; once it is full, each arriving row swaps with a
 * uniformly chosen resident, which leaves; on completion the residents leave in random order. Memory is the
 * window, whatever the stream's length. The draws come from Philox(seed, epoch·2²⁰ + refill, shuffle-window
 * stream), so the same rows in the same order shuffle the same way on every run and every resume. A window at
 * least as large as the pass is a uniform shuffle of the whole pass. Blocks out hold up to `outRows` rows.
 * The final flush emits blocks no larger than the input's and, with `demand`, waits for demand before each:
 * a full window emptied at once would otherwise land downstream as one burst of window-size minibatches.
 *
 * @example
 * rows$.pipe(shuffleWindow(10_000, 1, epoch))   // 10k-row window, seed 1
 */
export function shuffleWindow(windowRows: number, seed: number, epoch: number, options: { demand?: Demand; outRows?: number } = {}): OperatorFunction<RowBlock, RowBlock> {
  const outRows = options.outRows ?? 256;
  if (!Number.isInteger(windowRows) || windowRows < 1) throw new Error(`aevb: the shuffle window must hold at least 1 row, got ${windowRows}`);
  return (source) => new Observable<RowBlock>((subscriber) => {
    let window: Uint8Array | Float32Array | null = null;
    let D = 0;
    let scale = 1;
    let filled = 0;
    let refill = 0;
    let draws: Float64Array = new Float64Array(0);
    let used = 0;
    let out: Uint8Array | Float32Array | null = null;
    let outCount = 0;
    // Row numbers (RowBlock.ids) travel with their rows when the blocks carry them.
    let windowIds: Float64Array | null = null;
    let outIds: Float64Array | null = null;
    let lastBlockRows = 1;
    const uniform = () => {
      if (used === draws.length) {
        draws = philoxUniforms(seed, epoch * 2 ** 20 + refill++, RANDOM_STREAMS.shuffleWindow, DRAWS_PER_REFILL);
        used = 0;
      }
      return draws[used++];
    };
    const flush = () => {
      if (out !== null && outCount > 0) {
        subscriber.next({ values: out.slice(0, outCount * D), rows: outCount, D, scale, ...(outIds ? { ids: outIds.slice(0, outCount) } : {}) });
      }
      outCount = 0;
    };
    const emit = (from: Uint8Array | Float32Array, row: number, id: number) => {
      out!.set(from.subarray(row * D, (row + 1) * D), outCount * D);
      if (outIds !== null) outIds[outCount] = id;
      if (++outCount === outRows) flush();
    };
    return source.subscribe({
      next(block) {
        if (window === null) {
          D = block.D;
          scale = block.scale;
          window = block.values instanceof Uint8Array ? new Uint8Array(windowRows * D) : new Float32Array(windowRows * D);
          out = block.values instanceof Uint8Array ? new Uint8Array(outRows * D) : new Float32Array(outRows * D);
          if (block.ids !== undefined) {
            windowIds = new Float64Array(windowRows);
            outIds = new Float64Array(outRows);
          }
        } else if (block.D !== D || block.scale !== scale || (block.values instanceof Uint8Array) !== (window instanceof Uint8Array)) {
          subscriber.error(new Error(`aevb: rows changed shape or type mid-stream (D ${D} → ${block.D})`));
          return;
        }
        lastBlockRows = Math.max(1, block.rows);
        for (let r = 0; r < block.rows; r++) {
          const row = block.values.subarray(r * D, (r + 1) * D);
          const id = block.ids?.[r] ?? 0;
          if (filled < windowRows) {
            if (windowIds !== null) windowIds[filled] = id;
            window.set(row, filled++ * D);
          } else {
            const j = Math.floor(uniform() * windowRows);
            emit(window, j, windowIds?.[j] ?? 0);
            window.set(row, j * D);
            if (windowIds !== null) windowIds[j] = id;
          }
        }
        flush();
      },
      error: (e) => subscriber.error(e),
      complete() {
        void (async () => {
          // Fisher–Yates over what is left in the window, in blocks no larger than the ones that came in, each
          // waiting for demand: downstream sees the same pace as during the pass.
          for (let i = filled - 1; i >= 0 && !subscriber.closed; i--) {
            if (options.demand && outCount === 0) await options.demand.whenOpen();
            const j = Math.floor(uniform() * (i + 1));
            emit(window!, j, windowIds?.[j] ?? 0);
            if (j !== i) {
              window!.copyWithin(j * D, i * D, (i + 1) * D);
              if (windowIds !== null) windowIds[j] = windowIds[i];
            }
            if (outCount >= lastBlockRows) flush();
          }
          flush();
          subscriber.complete();
        })();
      },
    });
  });
}
