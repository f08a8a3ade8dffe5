// `aevb train --config FILE` (src/cli/config_file.node.ts) against the red team's config oddities (issue 22,
// item 9): {"noBinarize": true} binarized, a FIFO hung the command, /dev/zero was read past 3 GB, and a UTF-8
// byte-order mark was refused with the mark itself, invisible, in the message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { trainCommand, type RunSettings } from '../src/cli/train_options.node.ts';
import { CONFIG_FILE_MAX_BYTES, expandConfigFile } from '../src/cli/config_file.node.ts';

const dir = mkdtempSync(join(tmpdir(), 'aevb-config-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** The run settings `aevb train --config FILE` parses to (nothing runs). */
async function runOf(json: string | Buffer): Promise<RunSettings> {
  const file = join(dir, 'run.json');
  writeFileSync(file, json);
  let settings: RunSettings | undefined;
  const train: Command = trainCommand(async (_config, run) => {
    settings = run;
  });
  train.exitOverride();
  await train.parseAsync(expandConfigFile(['node', 'aevb', 'train', '--config', file], train).slice(3), {
    from: 'user',
  });
  return settings!;
}

test('a switch by either name: {"noBinarize": true} and {"binarize": false} both turn binarization off', async () => {
  assert.is((await runOf('{"noBinarize": true}')).binarize, false, 'noBinarize: true');
  assert.is((await runOf('{"no-binarize": true}')).binarize, false, 'no-binarize: true');
  assert.is((await runOf('{"binarize": false}')).binarize, false, 'binarize: false');
  assert.is((await runOf('{"noBinarize": false}')).binarize, true, 'noBinarize: false');
  assert.is((await runOf('{"binarize": true}')).binarize, true, 'binarize: true');
  assert.is((await runOf('{}')).binarize, true, 'the default');
});

test('a UTF-8 byte-order mark is accepted, as JSON readers commonly do', async () => {
  const run = await runOf(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"epochs": 3}')]));
  assert.is(run.epochs, 3);
});

test('a JSON error spells out an invisible character it quotes', async () => {
  await runOf('\u200b{"epochs": 3}').then(
    () => assert.unreachable('a zero-width space after the object is not JSON'),
    (error: Error) => {
      assert.match(error.message, /run\.json: the config file is not JSON/);
      assert.match(error.message, /U\+200B/);
      assert.not.match(error.message, /\u200b/);
    },
  );
});

test('only a regular file, at most CONFIG_FILE_MAX_BYTES: a FIFO, /dev/zero, a directory and a huge file are refused at once', () => {
  const train = trainCommand(async () => {});
  const fifo = join(dir, 'fifo.json');
  execFileSync('mkfifo', [fifo]);
  const big = join(dir, 'big.json');
  writeFileSync(big, `{"epochs": 3${' '.repeat(CONFIG_FILE_MAX_BYTES)}}`);
  for (const [file, expected] of [
    [fifo, /fifo\.json: the config file must be a regular file \(this is a FIFO\)/],
    ['/dev/zero', /\/dev\/zero: the config file must be a regular file \(this is a character device\)/],
    [dir, /the config file must be a regular file \(this is a directory\)/],
    [
      big,
      new RegExp(
        `big\\.json: the config file has ${CONFIG_FILE_MAX_BYTES + 13} bytes, more than the ${CONFIG_FILE_MAX_BYTES}`,
      ),
    ],
    [join(dir, 'absent.json'), /absent\.json: cannot read the config file \(ENOENT\)/],
  ] as const) {
    const started = Date.now();
    assert.throws(() => expandConfigFile(['node', 'aevb', 'train', '--config', file], train), expected, file);
    assert.ok(Date.now() - started < 2000, `${file} was refused in ${Date.now() - started} ms`);
  }
});

test.run();
