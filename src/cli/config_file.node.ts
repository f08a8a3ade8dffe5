// Node-only: `aevb train --config run.json`. The file holds any of train's flags by their long names (camelCase
// or kebab-case, without the dashes), e.g. {"latent": 2, "hidden": [500, 300], "lrSchedule": "cosine:steps=6000,min=1e-5"}.
// It is expanded into flags placed before the command line's own, so every value goes through the same parsing
// and checks as a typed flag, and a flag typed on the command line wins (commander keeps an option's last value).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatLrSchedule, validateLrSchedule } from '../train/lr_schedule.ts';
import { flagOf } from './train_options.node.ts';

/** The flags a config value stands for: `--name value`, `--name` / `--no-name` for switches. */
function tokensOf(file: string, key: string, value: unknown, command: Command): string[] {
  const flag = flagOf(key);
  const option = command.options.find((o) => o.long === flag || o.long === flag.replace(/^--/, '--no-'));
  if (option === undefined || flag === '--config') {
    const known = command.options
      .map((o) => o.long!.replace(/^--(no-)?/, ''))
      .filter((n) => n !== 'config' && n !== 'help');
    throw new Error(`${file}: '${key}' is not a flag of aevb train (known: ${known.join(', ')})`);
  }
  if (option.negate || typeof value === 'boolean') {
    if (typeof value !== 'boolean')
      throw new Error(`${file}: '${key}' is a switch: expected true or false, found ${JSON.stringify(value)}`);
    // A --no-x switch is on by default: true is the default, false the switch.
    return option.negate ? (value ? [] : [option.long!]) : value ? [option.long!] : [];
  }
  if (value === null) return [];
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return [option.long!, value.join(',')];
  if (key === 'lrSchedule' && typeof value === 'object')
    return [option.long!, formatLrSchedule(validateLrSchedule(value, `${file}: lrSchedule`))];
  if (typeof value === 'number' || typeof value === 'string') return [option.long!, String(value)];
  throw new Error(
    `${file}: '${key}' has the value ${JSON.stringify(value)}; expected a number, a string${Array.isArray(value) ? ' or a list of numbers' : ''}`,
  );
}

/**
 * `argv` with every `--config FILE` of the `train` command replaced by the flags the file holds, placed right
 * after `train` so that the command line's own flags come later and win.
 */
export function expandConfigFile(argv: string[], train: Command): string[] {
  const at = argv.indexOf('train');
  if (at < 0) return argv;
  const head = argv.slice(0, at + 1);
  const rest = argv.slice(at + 1);
  const expanded: string[] = [];
  const own: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const inline = /^--config=(.*)$/.exec(rest[i]);
    if (rest[i] !== '--config' && inline === null) {
      own.push(rest[i]);
      continue;
    }
    const file = inline?.[1] ?? rest[++i];
    if (file === undefined) throw new Error("--config needs a file: a JSON object of train's flags");
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(
        `${file}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new Error(`${file}: expected a JSON object of train's flags, e.g. {"latent": 2}`);
    for (const [key, value] of Object.entries(json)) expanded.push(...tokensOf(file, key, value, train));
  }
  return [...head, ...expanded, ...own];
}
