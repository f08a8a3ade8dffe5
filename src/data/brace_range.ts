/**
 * Shell-style numeric brace ranges in a name: `shard-{000..099}.npy` is shard-000.npy … shard-099.npy (the
 * width of the first bound, when it has leading zeros, pads every number). Several ranges expand to every
 * combination, leftmost slowest. `{a..b}` with a > b counts down. Anything else in braces is an error, so a
 * typo never silently becomes a single literal name.
 */

/** Most names one pattern may expand to: a bound on a typo like {0..9999999}. */
export const MAX_EXPANDED_NAMES = 1_000_000;

const RANGE = /\{(\d+)\.\.(\d+)\}/g;

/** The names a pattern stands for, in order; a pattern without braces is itself. */
export function expandBraceRanges(pattern: string): string[] {
  const stray = pattern.replace(RANGE, '').search(/[{}]/);
  if (stray >= 0)
    throw new Error(
      `${pattern}: expected braces only around a numeric range like {000..099}, found a stray '${pattern.replace(RANGE, '')[stray]}'`,
    );
  const parts: string[][] = [];
  let last = 0;
  let total = 1;
  for (const m of pattern.matchAll(RANGE)) {
    parts.push([pattern.slice(last, m.index)]);
    const [from, to] = [Number(m[1]), Number(m[2])];
    const width = m[1].length > 1 && m[1].startsWith('0') ? m[1].length : 0;
    const count = Math.abs(to - from) + 1;
    total *= count;
    if (total > MAX_EXPANDED_NAMES) throw new Error(`${pattern}: expands to more than ${MAX_EXPANDED_NAMES} names`);
    const step = to >= from ? 1 : -1;
    parts.push(Array.from({ length: count }, (_, i) => String(from + i * step).padStart(width, '0')));
    last = m.index + m[0].length;
  }
  parts.push([pattern.slice(last)]);
  return parts.reduce<string[]>((names, options) => names.flatMap((name) => options.map((o) => name + o)), ['']);
}
