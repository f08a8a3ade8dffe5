// A checkpoint is data, not instructions (issue 22, item 10): the data paths and URLs a run stores in its
// checkpoint are used only by `aevb train --resume`; `eval` and `sample` read the rows their own --data names
// (or the bundled MNIST for a run trained on it), never a path from the checkpoint, which someone else may have
// edited and resealed to make them read any local file or URL. Their flag is --data, as encode's (issue 23,
// item 11), with --test-data kept as a hidden alias.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataFlagOf, storedDataNotice, testSetOf } from '../src/cli/checkpoint_trainer.node.ts';
import { evalCommand } from '../src/cli/eval_command.node.ts';
import { sampleCommand } from '../src/cli/sample_command.node.ts';
import { encodeCommand } from '../src/cli/encode_command.node.ts';
import type { Checkpoint } from '../src/io/checkpoint_format.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/train/train_config.ts';
import { npyBytes } from './npy_writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'aevb-trust-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A checkpoint whose run state names `stored` as its test set and `train` as its training data. */
function checkpointNaming(train: string | null, stored: string | null): Checkpoint {
  return {
    snapshot: { config: { ...DEFAULT_TRAIN_CONFIG, D: 4, hidden: [3], latent: 2 }, step: 1, tensors: [] },
    run: {
      position: { epoch: 0, index: 1, step: 2 },
      plan: {
        epochs: 1,
        steps: null,
        checkpointEvery: 0,
        shuffleWindow: 10,
        binarize: false,
        data: { train, test: stored, format: 'auto', dim: null, validationSplit: null, validation: null },
        earlyStopping: null,
      },
      stepsPerEpoch: null,
      earlyStopping: null,
    },
  };
}

test('eval and sample never open the test set a checkpoint names; they read their own --data', async () => {
  const secret = join(dir, 'secret.npy');
  writeFileSync(secret, npyBytes('<f4', [2, 4], [0, 0.5, 1, 0, 0, 0.5, 1, 0]));
  const edited = checkpointNaming(join(dir, 'train.npy'), secret);
  assert.is(await testSetOf(edited, undefined), null, 'the stored path is not read');
  const mine = join(dir, 'mine.npy');
  writeFileSync(mine, npyBytes('<f4', [1, 4], [1, 1, 0, 0]));
  const set = await testSetOf(edited, mine);
  assert.is(set?.name, mine);
  assert.equal(Array.from(set!.values), [1, 1, 0, 0]);
});

test('--data names the rows of eval, sample and encode alike; --test-data is a hidden alias', () => {
  for (const command of [evalCommand(), sampleCommand(), encodeCommand()]) {
    const help = command.helpInformation();
    assert.match(help, /--data <path>/, command.name());
    assert.not.match(help, /^\s*--test-data <path>/m, command.name());
  }
  assert.is(dataFlagOf({ testData: 'a.npy' }), 'a.npy');
  assert.is(dataFlagOf({ data: 'a.npy' }), 'a.npy');
  assert.is(dataFlagOf({ data: 'a.npy', testData: 'a.npy' }), 'a.npy');
  assert.throws(
    () => dataFlagOf({ data: 'a.npy', testData: 'b.npy' }),
    /--data a\.npy and --test-data b\.npy name the same setting/,
  );
});

test('train --resume says which stored paths and URLs it will open, before it opens them, with no password', () => {
  const data = {
    train: 'redis://user:hunter2@host:6379/rows?group=g&consumer=c',
    test: '/data/test.npy',
    format: 'auto',
    dim: null,
    validationSplit: null,
    validation: null,
  };
  const line = storedDataNotice('runs/a', data, new Set(['data', 'testData', 'validationData'] as const));
  assert.match(
    line ?? '',
    /^aevb: resuming runs\/a on the data its checkpoint names: training data redis:\/\/user@host:6379\/rows/,
  );
  assert.match(line ?? '', /; test data \/data\/test\.npy$/);
  assert.not.match(line ?? '', 'hunter2');
  assert.is(
    storedDataNotice('runs/a', data, new Set(['testData'] as const)),
    'aevb: resuming runs/a on the data its checkpoint names: test data /data/test.npy',
  );
  assert.is(storedDataNotice('runs/a', data, new Set()), null, 'nothing stored is used');
});

test.run();
