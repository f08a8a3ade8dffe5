// aevb train --early-stop N --restore-best: when early stopping ends the run, its last checkpoint holds the
// parameters of the best validation (those in <out>/best/), at the last step; without --early-stop it is refused;
// the checkpoint keeps it, so a resumed run restores too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint } from '../src/io/checkpoint.node.ts';
import { runAevb } from './cli_process.ts';

// On this data and seed the validation ELBO rises for two epochs and falls in the third (lavapipe: best at step
// 190, stop at 285); the test says so if a driver's rounding makes it run otherwise.
const RUN = ['--data', 'synthetic:2000x16', '--hidden', '32', '--latent', '2', '--batch', '20', '--lr', '0.05'];
const SPLIT = ['--validation-split', '0.05', '--early-stop', '1', '--epochs', '12'];
const parameters = (dir: string) =>
  Object.fromEntries(
    readCheckpoint(dir)
      .snapshot.tensors.filter((t) => !t.name.startsWith('optimizer'))
      .map((t) => [t.name, Array.from(t.data)]),
  );

test('--restore-best: the last checkpoint of an early-stopped run holds the best validation’s parameters', async () => {
  const root = mkdtempSync(join(tmpdir(), 'aevb-restore-best-'));
  try {
    const refused = await runAevb(['train', ...RUN, '--restore-best', '--out', join(root, 'refused')], 60_000);
    assert.is(refused.code, 1);
    assert.match(refused.stderr, '--restore-best restores the best validation when --early-stop ends the run');
    assert.not.ok(existsSync(join(root, 'refused', 'metrics.jsonl')), 'refused before anything is written');

    const out = join(root, 'run');
    const ran = await runAevb(['train', ...RUN, ...SPLIT, '--restore-best', '--out', out], 120_000);
    assert.is(ran.code, 0, ran.stderr);
    const best = readCheckpoint(join(out, 'best'));
    const last = readCheckpoint(out);
    assert.match(ran.stdout, 'early stop:', 'this run is one that early stopping ends');
    assert.ok(
      last.snapshot.step > best.snapshot.step,
      `stopped at ${last.snapshot.step} after the best at ${best.snapshot.step}`,
    );
    assert.match(ran.stdout, `restored the parameters of step ${best.snapshot.step}, the best validation`);
    assert.equal(parameters(out), parameters(join(out, 'best')));
    assert.is(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).restoreBest, true, 'kept for --config');

    const kept = join(root, 'kept');
    const plain = await runAevb(['train', ...RUN, ...SPLIT, '--out', kept], 120_000);
    assert.is(plain.code, 0, plain.stderr);
    assert.is(readCheckpoint(kept).snapshot.step, last.snapshot.step, 'the same run');
    assert.not.equal(
      parameters(kept),
      parameters(join(kept, 'best')),
      'without --restore-best the last parameters stay',
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--restore-best is kept in the checkpoint: a run resumed without the flag still restores the best', async () => {
  const root = mkdtempSync(join(tmpdir(), 'aevb-restore-best-resume-'));
  try {
    const out = join(root, 'run');
    const [beforeStop] = SPLIT.slice(-1);
    const first = await runAevb(['train', ...RUN, ...SPLIT.slice(0, -1), '2', '--restore-best', '--out', out], 120_000);
    assert.is(first.code, 0, first.stderr);
    assert.is.not(beforeStop, '2', 'SPLIT ends with its epoch count');
    assert.not.match(first.stdout, 'early stop:', 'two epochs end before early stopping does');
    assert.is(readCheckpoint(out).run?.plan.earlyStopping?.restoreBest, true, 'the checkpoint says so');

    const resumed = await runAevb(['train', '--resume', out, '--epochs', beforeStop], 120_000);
    assert.is(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, 'early stop:', 'the resumed run is one that early stopping ends');
    const best = readCheckpoint(join(out, 'best'));
    assert.ok(readCheckpoint(out).snapshot.step > best.snapshot.step);
    assert.match(resumed.stdout, `restored the parameters of step ${best.snapshot.step}, the best validation`);
    assert.equal(parameters(out), parameters(join(out, 'best')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
