/**
 * What a Redis stream source counts (source.node.ts's `stats`), for progress reports and for the tests: one list
 * of the counts and their meaning, apart from the class that keeps them. No Redis: safe anywhere.
 */

/** Counts since the source was made, for progress and for the tests. */
export interface RedisSourceStats {
  /** Entries and rows handed to the pipeline. */
  entries: number;
  rows: number;
  /** Entries taken over from other consumers (XAUTOCLAIM). */
  claimed: number;
  /** Entries moved to the dead-letter stream (their processing failed max-deliveries times). */
  deadLettered: number;
  /** Failed processings counted (each stopped a pass, or moved its entry to the dead-letter stream). */
  failures: number;
  /** Entries acknowledged. */
  acknowledged: number;
  /** Entries pending for this consumer whose data had been deleted from the stream (acknowledged, no rows). */
  deleted: number;
  /** Bitmaps of partly trained entries written to the trained-rows hash. */
  partlyTrained: number;
  /** Rows of entries delivered again that were not delivered, a checkpoint holding them already. */
  rowsSkipped: number;
}

/** The counts of a source just made: all zero. */
export function noCountsYet(): RedisSourceStats {
  return {
    entries: 0,
    rows: 0,
    claimed: 0,
    deadLettered: 0,
    failures: 0,
    acknowledged: 0,
    deleted: 0,
    partlyTrained: 0,
    rowsSkipped: 0,
  };
}
