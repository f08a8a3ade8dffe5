// One validator for numbers (src/train/numbers.ts) wherever one comes in — a flag, a config file, a checkpoint's
// run state or config — so that a value the command line takes is one a checkpoint can hold (the red team's
// `--epochs 1e300` trained an epoch and then could write no checkpoint). Refused with the flag's or field's name:
// unsafe integers, text that is not a decimal number (' 2', '', 0x2), and learning rates float32 makes 0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { decimalOf, numberProblem, parseNumber } from '../src/train/numbers.ts';
import { trainCommand } from '../src/cli/train_options.node.ts';
import { expandConfigFile } from '../src/cli/config_file.node.ts';
import { parseRunState } from '../src/run/run_state.ts';
import { DEFAULT_TRAIN_CONFIG, validateTrainConfig } from '../src/train/train_config.ts';
import { parseLrSchedule } from '../src/train/lr_schedule.ts';

/** Parses `aevb train ARGS` without running it; resolves with the error commander printed, or '' when it ran. */
async function trainFlags(args: string[]): Promise<string> {
  let error = '';
  const command: Command = trainCommand(async () => {});
  command.exitOverride().configureOutput({
    writeErr: (s) => {
      error += s;
    },
    writeOut: () => {},
  });
  try {
    await command.parseAsync(args, { from: 'user' });
  } catch {
    // commander's exit, with the message written to writeErr
  }
  return error;
}

test('decimal text only; safe integers; float32-sized reals', () => {
  for (const text of ['2', '+2', '1e3', '0.5', '.5', '1.', '-3', '2E-4']) assert.is.not(decimalOf(text), null, text);
  for (const text of ['', ' ', ' 2', '2 ', '0x2', '0b1', '1_000', 'Infinity', 'NaN', '1e', 'e5', '--1'])
    assert.is(decimalOf(text), null, `'${text}'`);
  assert.is(numberProblem(1e300, { kind: 'integer' }), `beyond the exact integers (±${Number.MAX_SAFE_INTEGER})`);
  assert.is(numberProblem(2 ** 53, { kind: 'integer' }), `beyond the exact integers (±${Number.MAX_SAFE_INTEGER})`);
  assert.is(numberProblem(2 ** 53 - 1, { kind: 'integer' }), null);
  assert.is(numberProblem(1.5, { kind: 'integer' }), 'not an integer');
  assert.match(numberProblem(1e-320, { kind: 'float32' })!, 'too small for float32 (it would be 0 on the GPU');
  assert.match(numberProblem(1e-40, { kind: 'float32' })!, 'a subnormal, which GPUs flush to 0');
  assert.is(numberProblem(1e39, { kind: 'float32' }), 'too large for float32');
  assert.is(numberProblem(0, { kind: 'float32', min: 0 }), null);
  assert.is(numberProblem(1e-7, { kind: 'float32', min: 0, minExclusive: true }), null);
  assert.is(numberProblem(NaN, { kind: 'real' }), 'not a number');
  assert.throws(
    () => parseNumber('0x2', { kind: 'integer', min: 1 }, '--epochs'),
    /--epochs must be an integer ≥ 1, got '0x2' \(not a decimal number\)/,
  );
});

test('aevb train refuses what the red team slipped through, naming the flag', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--epochs', '1e300'], /--epochs must be an integer ≥ 1, got '1e300' \(beyond the exact integers/],
    [['--samples', '1e300'], /--samples must be an integer ≥ 1, got '1e300'/],
    [['--checkpoint-every', '1e300'], /--checkpoint-every must be an integer ≥ 0, got '1e300'/],
    [['--checkpoint-every', ''], /--checkpoint-every must be an integer ≥ 0, got '' \(not a decimal number\)/],
    [['--epochs', '0x2'], /--epochs must be an integer ≥ 1, got '0x2' \(not a decimal number\)/],
    [['--epochs', ' 2'], /--epochs must be an integer ≥ 1, got ' 2' \(not a decimal number\)/],
    [['--lr', '1e-320'], /--lr must be a number > 0, got '1e-320' \(too small for float32/],
    [['--hidden', '500,1e300'], /--hidden takes comma-separated widths/],
    [['--lr-schedule', 'cosine:steps=100,min=1e-320'], /--lr-schedule|lrSchedule\.min/],
  ];
  for (const [args, expected] of cases) assert.match(await trainFlags(args), expected, args.join(' '));
  assert.is(
    await trainFlags(['--epochs', '1e3', '--lr', '3e-4', '--samples', '12000']),
    '',
    'decimal notation with an exponent is fine',
  );
});

test('a config file goes through the same validator: {"epochs": 1e300} and {"lr": 1e-320} are refused by flag name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-numbers-'));
  try {
    const train = trainCommand(async () => {});
    for (const [json, expected] of [
      ['{"epochs": 1e300}', /--epochs must be an integer ≥ 1, got '1e\+300'/],
      ['{"lr": 1e-320}', /--lr must be .*, got '1e-320'/],
    ] as const) {
      const file = join(dir, 'run.json');
      writeFileSync(file, json);
      const argv = expandConfigFile(['node', 'aevb', 'train', '--config', file], train);
      assert.match(await trainFlags(argv.slice(3)), expected, json);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a checkpoint's run state and config are held to the same numbers", () => {
  const state = (plan: Record<string, unknown>, position: Record<string, unknown> = {}) => ({
    position: { epoch: 0, index: 0, step: 1, ...position },
    stepsPerEpoch: null,
    earlyStopping: null,
    plan: {
      epochs: 1,
      steps: null,
      checkpointEvery: 0,
      shuffleWindow: 10,
      binarize: true,
      data: null,
      earlyStopping: null,
      ...plan,
    },
  });
  assert.is(parseRunState(state({}), 'ckpt').plan.epochs, 1);
  assert.throws(
    () => parseRunState(state({ epochs: 1e300 }), 'ckpt'),
    /ckpt: the checkpoint's run state has plan.epochs = 1e\+300; expected an integer ≥ 1/,
  );
  assert.throws(() => parseRunState(state({ checkpointEvery: 2 ** 53 }), 'ckpt'), /plan.checkpointEvery/);
  assert.throws(() => parseRunState(state({}, { step: 1.5 }), 'ckpt'), /position.step/);
  assert.throws(
    () => validateTrainConfig({ ...DEFAULT_TRAIN_CONFIG, lr: 1e-320 }),
    /lr must be a number in \(0, 10\), got 1e-320 \(too small for float32/,
  );
  assert.throws(() => validateTrainConfig({ ...DEFAULT_TRAIN_CONFIG, klWarmup: 1e300 }), /klWarmup must be an integer/);
  assert.throws(() => parseLrSchedule('cosine:steps=100,min=1e-320'), /min must be a number ≥ 0 that float32 holds/);
  assert.throws(() => parseLrSchedule('cosine:steps=0x10,min=0'), /steps=0x10 is not a number/);
});

test.run();
