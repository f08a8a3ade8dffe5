/**
 * Shell-style numeric brace ranges in a name: `shard-{000..099}.npy` is shard-000.npy … shard-099.npy (the
 * width of the first bound, when it has leading zeros, pads every number). Several ranges expand to every
 * combination, leftmost slowest. `{a..b}` with a > b counts down. Anything else in braces is an error, so a
 * typo never silently becomes a single literal name.
 *
 * The names are computed when asked for (braceRangeNames), never held as a list: a million names held as
 * strings took 572 MB in the red team's run; as a pattern they take a few bytes.
 */

/** Most names one pattern may stand for: a bound on a typo like {0..9999999}. */
export const MAX_EXPANDED_NAMES = 1_000_000;

const RANGE = /\{(\d+)\.\.(\d+)\}/g;

/** The names of a pattern, computed one at a time: `at(i)` for 0 ≤ i < length. */
export interface NameList {
  readonly length: number;
  at(i: number): string;
}

/** One numeric range of a pattern: its literal text before it, first bound, step, count and padding. */
interface Range {
  before: string;
  from: number;
  step: 1 | -1;
  count: number;
  width: number;
}

/** The names a pattern stands for, in order, computed as asked for; a pattern without braces is itself. */
export function braceRangeNames(pattern: string): NameList {
  const stray = pattern.replace(RANGE, '').search(/[{}]/);
  if (stray >= 0)
    throw new Error(
      `${pattern}: expected braces only around a numeric range like {000..099}, found a stray '${pattern.replace(RANGE, '')[stray]}'`,
    );
  const ranges: Range[] = [];
  let last = 0;
  let length = 1;
  for (const m of pattern.matchAll(RANGE)) {
    const [from, to] = [Number(m[1]), Number(m[2])];
    const count = Math.abs(to - from) + 1;
    length *= count;
    if (length > MAX_EXPANDED_NAMES)
      throw new Error(
        `${pattern}: expands to more than ${MAX_EXPANDED_NAMES} names (the limit on one pattern, a guard against a typo); split the data into fewer, larger shards`,
      );
    ranges.push({
      before: pattern.slice(last, m.index),
      from,
      step: to >= from ? 1 : -1,
      count,
      width: m[1].length > 1 && m[1].startsWith('0') ? m[1].length : 0,
    });
    last = m.index + m[0].length;
  }
  const tail = pattern.slice(last);
  return {
    length,
    at(i: number): string {
      if (!Number.isInteger(i) || i < 0 || i >= length)
        throw new RangeError(`${pattern}: name ${i} asked for, but the pattern has ${length}`);
      // Mixed radix, rightmost range fastest.
      const digits: string[] = new Array(ranges.length);
      for (let r = ranges.length - 1; r >= 0; r--) {
        const { from, step, count, width } = ranges[r];
        digits[r] = String(from + (i % count) * step).padStart(width, '0');
        i = Math.floor(i / count);
      }
      return ranges.map((r, k) => r.before + digits[k]).join('') + tail;
    },
  };
}

/** The names a pattern stands for, as a list (for short patterns; see braceRangeNames). */
export function expandBraceRanges(pattern: string): string[] {
  const names = braceRangeNames(pattern);
  return Array.from({ length: names.length }, (_, i) => names.at(i));
}
