// Node-only: commander argument parsers shared by every `aevb` command, each refusing a bad value with the
// flag's name, the bound and what was given.
import { InvalidArgumentError } from 'commander';

export function integer(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got '${value}'`);
    return n;
  };
}

/** A finite number ≥ min, or > min when `exclusive`. */
export function number(name: string, min: number, exclusive = false) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || (exclusive ? n <= min : n < min)) {
      throw new InvalidArgumentError(`${name} must be a number ${exclusive ? '>' : '≥'} ${min}, got '${value}'`);
    }
    return n;
  };
}

/** Comma-separated integers ≥ min (layer widths: 500 or 500,300). */
export function widths(name: string, min: number) {
  return (value: string): number[] => {
    const list = value.split(',').map((v) => Number(v.trim()));
    if (list.some((n) => !Number.isInteger(n) || n < min)) {
      throw new InvalidArgumentError(`${name} takes comma-separated widths ≥ ${min} (e.g. 500 or 500,300), got '${value}'`);
    }
    return list;
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
