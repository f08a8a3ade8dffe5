/**
 * A seeded synthetic dataset of any length, unbounded included, for tests and benchmarks: each row is D bytes
 * drawn from Philox(seed, counter = block index, stream = synthetic), shaped so it is learnable — a row is a
 * noisy copy of one of 8 fixed prototypes. The same seed always gives the same rows.
 */
import { philoxUniforms } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import type { RowBlock } from './row_block.ts';
import type { RowSource } from './row_source.ts';

export interface SyntheticOptions {
  D: number;
  /** Rows per pass; Infinity for an unbounded stream. */
  rows: number;
  seed: number;
  /** Rows per block. Default 256. */
  blockRows?: number;
}

const PROTOTYPES = 8;

export function syntheticSource(o: SyntheticOptions): RowSource {
  const blockRows = o.blockRows ?? 256;
  const prototypes = philoxUniforms(o.seed, 0xffffffff, RANDOM_STREAMS.synthetic, PROTOTYPES * o.D);
  return {
    name: `synthetic(D=${o.D}, rows=${o.rows}, seed=${o.seed})`,
    async *open() {
      for (let block = 0, done = 0; done < o.rows; block++) {
        const rows = Math.min(blockRows, o.rows - done);
        const u = philoxUniforms(o.seed, block, RANDOM_STREAMS.synthetic, rows * (o.D + 1));
        const values = new Uint8Array(rows * o.D);
        for (let r = 0; r < rows; r++) {
          const p = Math.floor(u[r * (o.D + 1)] * PROTOTYPES) * o.D;
          for (let d = 0; d < o.D; d++) {
            // Pixel on with probability 0.9 where the prototype is on, 0.05 elsewhere, as a grey level.
            const on = prototypes[p + d] < 0.3;
            values[r * o.D + d] = u[r * (o.D + 1) + 1 + d] < (on ? 0.9 : 0.05) ? 255 : 0;
          }
        }
        done += rows;
        const result: RowBlock = { values, rows, D: o.D, scale: 1 / 255 };
        yield result;
      }
    },
  };
}
