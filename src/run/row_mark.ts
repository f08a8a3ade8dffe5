/**
 * The low-water mark of a pass over an acknowledging source (data/acknowledging_source.ts): the number L such
 * that every row numbered below L has been trained on. Rows leave the shuffle window out of order, so rows
 * trained above the mark wait in a set until the rows below them are trained too; the set never holds more than
 * the rows in flight (the window, a partial minibatch, the upload ring).
 */
export class RowMark {
  private next = 0;
  private readonly above = new Set<number>();

  /** Every row numbered below this has been trained on. */
  get low(): number {
    return this.next;
  }

  /** The rows trained above the mark, ascending. */
  trainedAbove(): number[] {
    return [...this.above].sort((a, b) => a - b);
  }

  /** Records the rows of a trained minibatch. */
  trained(ids: ArrayLike<number>): void {
    for (let i = 0; i < ids.length; i++) this.above.add(ids[i]);
    while (this.above.delete(this.next)) this.next++;
  }
}
