/**
 * A validation split given as a row count: the share that holds out exactly those rows. The split itself
 * (data/validation_split.ts) holds out row i when its uniform u_i < fraction; so `rows` rows are held out by a
 * fraction between the rows-th and the (rows + 1)-th smallest u_i of the source. Finding them takes one pass
 * over the source before training, keeping only the rows + 1 smallest uniforms (a max-heap), so memory is the
 * count's, not the source's.
 */
import type { RowSource } from '../data/row_source.ts';
import { validationUniform } from '../data/validation_split.ts';

/**
 * The fraction that holds out `rows` rows of `source` under `seed`: exactly that many, or more only where rows
 * share the boundary's uniform (2²³ values: rare). Throws when the source has no more rows than that.
 */
export async function fractionHoldingOut(source: RowSource, rows: number, seed: number): Promise<number> {
  if (!Number.isSafeInteger(rows) || rows < 1)
    throw new Error(`aevb: a validation split of rows must be a whole number ≥ 1, got ${rows}`);
  const smallest = new MaxHeap(rows + 1);
  let total = 0;
  for await (const block of source.open()) {
    for (let r = 0; r < block.rows; r++, total++) smallest.offer(validationUniform(seed, total));
  }
  if (total <= rows)
    throw new Error(
      `aevb: validationSplit ${rows} would hold out every row of ${source.name} (it has ${total}): give fewer rows, or a fraction`,
    );
  const [next, last] = [smallest.pop(), smallest.pop()]; // the (rows + 1)-th smallest, then the rows-th
  // Halfway between them; where they tie, just past both (the tied rows all go to validation).
  return last < next ? (last + next) / 2 : Math.min(1, last + 2 ** -24);
}

/** The `capacity` smallest numbers offered, largest on top. */
class MaxHeap {
  private readonly values: number[] = [];

  constructor(private readonly capacity: number) {}

  offer(v: number): void {
    const a = this.values;
    if (a.length < this.capacity) {
      a.push(v);
      for (let i = a.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (a[parent] >= a[i]) break;
        [a[parent], a[i]] = [a[i], a[parent]];
        i = parent;
      }
    } else if (v < a[0]) {
      a[0] = v;
      this.siftDown();
    }
  }

  /** Removes and returns the largest. */
  pop(): number {
    const a = this.values;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      this.siftDown();
    }
    return top;
  }

  private siftDown(): void {
    const a = this.values;
    for (let i = 0; ;) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let largest = i;
      if (l < a.length && a[l] > a[largest]) largest = l;
      if (r < a.length && a[r] > a[largest]) largest = r;
      if (largest === i) return;
      [a[largest], a[i]] = [a[i], a[largest]];
      i = largest;
    }
  }
}
