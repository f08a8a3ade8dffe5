/**
 * Rows already in memory as a row source, so they feed the same pipeline as files and streams: one shuffle
 * (the seeded window; a window as large as the data is a full shuffle), one binarization, one position.
 */
import type { RowSource } from './row_source.ts';
import { outOfUnitRange } from './row_block.ts';

export interface MemorySourceOptions {
  /** Values per row. */
  D: number;
  /** For messages. Default 'rows in memory'. */
  name?: string;
  /** Multiplier into [0, 1]. Default 1/255 for bytes, 1 for floats. */
  scale?: number;
  /** Rows per block handed down the pipeline. Default 256. */
  blockRows?: number;
}

/**
 * `values` (rows × D, row-major; bytes or floats in [0, 1], which are checked) as a re-openable source. The blocks are views: the pipeline
 * copies rows out of them and never writes into them, so the caller's array is left as it was.
 *
 * @example
 * trainingRun(trainer, { source: memorySource(rows, { D: 784 }), epochs: 5 })
 */
export function memorySource(values: Uint8Array | Float32Array, options: MemorySourceOptions): RowSource {
  const { D } = options;
  const name = options.name ?? 'rows in memory';
  if (!Number.isInteger(D) || D < 1) throw new Error(`${name}: D must be an integer ≥ 1, got ${D}`);
  if (values.length % D !== 0)
    throw new Error(`${name}: ${values.length} values are not a whole number of rows of D = ${D}`);
  const scale = options.scale ?? (values instanceof Uint8Array ? 1 / 255 : 1);
  const blockRows = options.blockRows ?? 256;
  const rows = values.length / D;
  // Floats are checked once, here, as a file's are when it is parsed: values outside [0, 1] would train silently
  // to a meaningless bound. NaN and ±Inf are left to the trainer, which refuses them at their step, naming it.
  if (values instanceof Float32Array) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i] * scale;
      if (Number.isFinite(v) && !(v >= 0 && v <= 1))
        throw new Error(
          `${name}: ${outOfUnitRange(Math.floor(i / D), i % D, values[i], 'first, or pass them as a Uint8Array')}`,
        );
    }
  }
  return {
    name,
    async *open() {
      for (let first = 0; first < rows; first += blockRows) {
        const count = Math.min(blockRows, rows - first);
        yield { values: values.subarray(first * D, (first + count) * D), rows: count, D, scale };
      }
    },
  };
}
