// Node-only: commander argument parsers shared by every `aevb` command, each refusing a bad value with the
// flag's name, the bound and what was given. Numbers are read by the one validator of numbers (train/numbers.ts)
// that config files and checkpoints go through too: decimal text only, safe integers, float32-sized reals.
import { InvalidArgumentError } from 'commander';
import { decimalOf, numberProblem, parseNumber, type NumberRule } from '../train/numbers.ts';

function parsed(value: string, rule: NumberRule, name: string): number {
  try {
    return parseNumber(value, rule, name);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** A safe integer ≥ min, in decimal notation. */
export function integer(name: string, min: number) {
  return (value: string): number => parsed(value, { kind: 'integer', min }, name);
}

/** A finite number ≥ min, or > min when `exclusive`, that float32 holds (the GPU's numbers; 0 stays 0). */
export function number(name: string, min: number, exclusive = false) {
  return (value: string): number => parsed(value, { kind: 'float32', min, minExclusive: exclusive }, name);
}

/** Comma-separated integers ≥ min (layer widths: 500 or 500,300). */
export function widths(name: string, min: number) {
  return (value: string): number[] => {
    const list = value.split(',').map((v) => decimalOf(v.trim()));
    if (list.some((n) => numberProblem(n, { kind: 'integer', min }) !== null)) {
      throw new InvalidArgumentError(
        `${name} takes comma-separated widths ≥ ${min} (e.g. 500 or 500,300), got '${value}'`,
      );
    }
    return list as number[];
  };
}

/** A flag parser built on a library parser that throws Error: its message becomes commander's usage error. */
export function fromParser<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message.replace(/^aevb: /, ''));
    }
  };
}
