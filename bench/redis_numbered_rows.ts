/**
 * Rows for the Redis benches that say which they are: u8 rows of D values whose first three bytes are the row's
 * id (0 … count − 1, little-endian) and the rest a constant grey, MNIST-sized at D = 784. A trainer that sees
 * them without binarization (values = bytes / 255) can name every row of every minibatch; its step log is read
 * back by parseTrainedLog.
 */
import type { RowSource } from '../src/data/row_source.ts';

/** `count` numbered rows of `D` u8 values (D ≥ 3), in blocks of 500. */
export function numberedRows(count: number, D = 784): RowSource {
  return {
    name: `${count} numbered rows`,
    async *open() {
      for (let first = 0; first < count; first += 500) {
        const rows = Math.min(500, count - first);
        const values = new Uint8Array(rows * D).fill(7);
        for (let r = 0; r < rows; r++)
          values.set([(first + r) & 255, ((first + r) >> 8) & 255, (first + r) >> 16], r * D);
        yield { values, rows, D, scale: 1 / 255 };
      }
    },
  };
}

/** The id a numbered row carries in its first three values (bytes, or bytes / 255 when scaled). */
export function rowId(values: ArrayLike<number>, offset = 0, scale = 1): number {
  const byte = (k: number) => Math.round(values[offset + k] / scale);
  return byte(0) | (byte(1) << 8) | (byte(2) << 16);
}

/** A trainer's step log (trained.log: `S <trainer> <step> <clock ms> <row ids…>`, and `R <trainer> <step>` on a resume). */
export interface TrainedLog {
  /** The steps that stand: a resume at step s discards the steps after s that the killed incarnation took. */
  valid: { step: number; ids: number[] }[];
  /** Every step taken, discarded ones included: its clock time and its number of rows. */
  taken: { time: number; rows: number }[];
}

export function parseTrainedLog(lines: Iterable<string>): TrainedLog {
  const log: TrainedLog = { valid: [], taken: [] };
  for (const line of lines) {
    const parts = line.split(' ');
    if (parts[0] === 'R') {
      const resumedAt = Number(parts[2]);
      while (log.valid.length > 0 && log.valid[log.valid.length - 1].step > resumedAt) log.valid.pop();
    } else if (parts[0] === 'S' && parts.length > 4) {
      log.taken.push({ time: Number(parts[3]), rows: parts.length - 4 });
      log.valid.push({ step: Number(parts[2]), ids: parts.slice(4).map(Number) });
    }
  }
  return log;
}
