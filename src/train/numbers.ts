/**
 * What a number may be, stated once for every place one comes in: flags on the command line, config files,
 * a checkpoint's config and run state. Three kinds:
 * - integer: a safe integer (|n| ≤ 2⁵³ − 1), so that counting with it is exact (`--epochs 1e300` is refused);
 * - real: a finite number;
 * - float32: a finite number that the GPU's float32 holds as itself or as a nearby normal float32 (0 stays 0):
 *   a learning rate of 1e-320 would be 0 on the GPU, and one of 1e-40 a subnormal that GPUs flush to 0.
 * Text is read strictly: decimal notation with an optional exponent, nothing else — no blanks (`' 2'`), no empty
 * string (`''`, which Number() reads as 0), no hex (`0x2`), no `Infinity`.
 */

export type NumberKind = 'integer' | 'real' | 'float32';

export interface NumberRule {
  kind: NumberKind;
  /** The least value (or the bound it must exceed, when `minExclusive`). */
  min?: number;
  minExclusive?: boolean;
  /** The greatest value (inclusive for integers, exclusive for the others, as TrainConfig's ranges have it). */
  max?: number;
}

/** The smallest positive normal float32, 2⁻¹²⁶. */
export const FLOAT32_MIN_NORMAL = 2 ** -126;

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** The number `text` writes in decimal notation, or null when it is anything else (blank, hex, a word). */
export function decimalOf(text: string): number | null {
  return DECIMAL.test(text) ? Number(text) : null;
}

/** The rule in words, for messages: 'an integer ≥ 1', 'a number > 0', 'a number in [0, 1)'. */
export function describeRule(rule: NumberRule): string {
  const what = rule.kind === 'integer' ? 'an integer' : 'a number'; // float32's limits are told as the reason
  const { min, max } = rule;
  if (min !== undefined && max !== undefined) {
    return rule.kind === 'integer'
      ? `${what} from ${min} to ${max}`
      : `${what} in ${rule.minExclusive ? '(' : '['}${min}, ${max})`;
  }
  if (min !== undefined) return `${what} ${rule.minExclusive ? '>' : '≥'} ${min}`;
  if (max !== undefined) return `${what} ${rule.kind === 'integer' ? '≤' : '<'} ${max}`;
  return what;
}

/** Why `value` breaks `rule` (a few words), or null when it keeps it. */
export function numberProblem(value: unknown, rule: NumberRule): string | null {
  if (typeof value !== 'number' || Number.isNaN(value)) return 'not a number';
  if (!Number.isFinite(value)) return 'not finite';
  if (rule.kind === 'integer' && !Number.isSafeInteger(value)) {
    return Number.isInteger(value) ? `beyond the exact integers (±${Number.MAX_SAFE_INTEGER})` : 'not an integer';
  }
  if (rule.kind === 'float32' && value !== 0) {
    const f = Math.fround(value);
    if (!Number.isFinite(f)) return 'too large for float32';
    if (Math.abs(f) < FLOAT32_MIN_NORMAL)
      return (
        `too small for float32 (it would be ${f === 0 ? '0' : 'a subnormal, which GPUs flush to 0'} ` +
        `on the GPU; the least normal float32 is ${FLOAT32_MIN_NORMAL.toExponential(6)})`
      );
  }
  const { min, max } = rule;
  if (min !== undefined && (rule.minExclusive ? !(value > min) : !(value >= min))) return 'out of range';
  if (max !== undefined && (rule.kind === 'integer' ? !(value <= max) : !(value < max))) return 'out of range';
  return null;
}

/** `value` if it keeps `rule`; else throws `${what} must be …, got …` with the reason. */
export function checkNumber(value: unknown, rule: NumberRule, what: string): number {
  const problem = numberProblem(value, rule);
  if (problem !== null)
    throw new Error(
      `${what} must be ${describeRule(rule)}, got ` +
        `${typeof value === 'string' ? `'${value}'` : String(value)}${problem === 'out of range' || problem === 'not a number' ? '' : ` (${problem})`}`,
    );
  return value as number;
}

/** The number `text` gives under `rule` (strict decimal syntax); throws naming `what` (a flag) otherwise. */
export function parseNumber(text: string, rule: NumberRule, what: string): number {
  const value = decimalOf(text);
  if (value === null) throw new Error(`${what} must be ${describeRule(rule)}, got '${text}' (not a decimal number)`);
  const problem = numberProblem(value, rule);
  if (problem !== null)
    throw new Error(
      `${what} must be ${describeRule(rule)}, got '${text}'${problem === 'out of range' ? '' : ` (${problem})`}`,
    );
  return value;
}
