// Node-only: `aevb train --config run.json`. The file holds any of train's flags by their long names (camelCase
// or kebab-case, without the dashes), e.g. {"latent": 2, "hidden": [500, 300], "lrSchedule": "cosine:steps=6000,min=1e-5"}.
// It is expanded into flags placed before the command line's own, so every value goes through the same parsing
// and checks as a typed flag, and a flag typed on the command line wins (commander keeps an option's last value).
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
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
    // A --no-x switch is on by default. The key may name the setting ({"binarize": false}) or the switch itself
    // ({"noBinarize": true}); either way the value says whether what the key names holds.
    const namesTheSwitch = flag === option.long;
    const passSwitch = option.negate ? (namesTheSwitch ? value : !value) : value;
    return passSwitch ? [option.long!] : [];
  }
  if (value === null) return [];
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return [option.long!, value.join(',')];
  if (key === 'lrSchedule' && typeof value === 'object')
    return [option.long!, formatLrSchedule(validateLrSchedule(value, `${file}: lrSchedule`))];
  // A layer list: the flag takes its JSON text (src/model/layer_specs.ts parseArch).
  if (key === 'arch' && typeof value === 'object') return [option.long!, JSON.stringify(value)];
  if (typeof value === 'number' || typeof value === 'string') return [option.long!, String(value)];
  throw new Error(
    `${file}: '${key}' has the value ${JSON.stringify(value)}; expected a number, a string${Array.isArray(value) ? ' or a list of numbers' : ''}`,
  );
}

/** A config file larger than this is refused before it is read: train's flags fit in a few kilobytes. */
export const CONFIG_FILE_MAX_BYTES = 1 << 20;

/**
 * The text of a config file: a regular file only (a FIFO would block the open and `/dev/zero` never end), at
 * most CONFIG_FILE_MAX_BYTES, its UTF-8 byte-order mark dropped as JSON readers commonly do.
 */
export function readConfigText(file: string): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever before fstat could refuse it.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new Error(`${file}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new Error(
        `${file}: the config file must be a regular file (this is ${kindOf(stat)}): a JSON object of train's flags`,
      );
    if (stat.size > CONFIG_FILE_MAX_BYTES)
      throw new Error(
        `${file}: the config file has ${stat.size} bytes, more than the ${CONFIG_FILE_MAX_BYTES} a config file may hold`,
      );
    // Read at most one byte past the cap, so a file that grows after fstat still cannot exceed it unseen.
    const bytes = Buffer.alloc(Math.min(stat.size, CONFIG_FILE_MAX_BYTES) + 1);
    let length = 0;
    for (let n; length < bytes.length && (n = readSync(fd, bytes, length, bytes.length - length, null)) > 0;)
      length += n;
    if (length > CONFIG_FILE_MAX_BYTES)
      throw new Error(`${file}: the config file grew past the ${CONFIG_FILE_MAX_BYTES} bytes a config file may hold`);
    const text = bytes.subarray(0, length).toString('utf8');
    return text.startsWith('\uFEFF') ? text.slice(1) : text;
  } finally {
    closeSync(fd);
  }
}

function kindOf(stat: import('node:fs').Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
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
    const text = readConfigText(file);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`${file}: the config file is not JSON (${visible((error as Error).message)})`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new Error(`${file}: expected a JSON object of train's flags, e.g. {"latent": 2}`);
    for (const [key, value] of Object.entries(json)) expanded.push(...tokensOf(file, key, value, train));
  }
  return [...head, ...expanded, ...own];
}

/** A parser's message with invisible characters it may quote (a stray BOM, a zero-width space) spelled out. */
function visible(message: string): string {
  return message.replace(
    /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\ufeff]/g,
    (c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`,
  );
}
