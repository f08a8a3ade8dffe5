// The red team's output-folder cases through the real `aevb` CLI (issue 22): a metrics.jsonl torn by a kill or a
// full disk does not break a later --resume (the torn line is cut off with a warning naming the file; the run trains
// and redraws curves.png); links planted in --out (config.json, metrics.jsonl → ../victim) never have the victim
// written; rows too wide for the kernels are refused at set-up, naming --data, D and the limit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRICS_FILE } from '../src/cli/train_report.node.ts';
import { readCheckpoint } from '../src/io/checkpoint.node.ts';
import { gzipSync } from 'node:zlib';
import { npyHeader } from '../src/io/npy_writer.ts';
import { AEVB_BIN, runAevb } from './cli_process.ts';

const bin = AEVB_BIN;
const TINY = ['--data', 'synthetic:400x16', '--hidden', '8', '--latent', '2', '--batch', '20'];
const VICTIM_TEXT = 'root:x:0:0:root:/root:/bin/bash\n';

const aevb = (args: string[]) => runAevb(args, 120_000);

const temporaries = (dir: string) => readdirSync(dir).filter((n) => n.includes('.tmp-'));

test('a metrics.jsonl cut short does not break --resume: the torn line is cut off with a warning, the run trains on and redraws curves.png', async () => {
  const out = mkdtempSync(join(tmpdir(), 'aevb-torn-'));
  try {
    const first = await aevb(['train', ...TINY, '--epochs', '1', '--metrics-every', '1', '--out', out]);
    assert.is(first.code, 0, first.stderr);
    const log = join(out, METRICS_FILE);
    truncateSync(log, statSync(log).size - 40); // as the red team did: 40 bytes off a finished run's log
    const resumed = await aevb(['train', '--resume', out, '--epochs', '2']);
    assert.is(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, `aevb: warning: ${log}, line `);
    assert.match(resumed.stderr, 'the last line is torn');
    assert.match(resumed.stdout, `training curves: ${join(out, 'curves.png')}`);
    assert.is(readCheckpoint(out).snapshot.step, 40);
    assert.equal(temporaries(out), []);
    for (const line of readFileSync(log, 'utf8').trim().split('\n')) JSON.parse(line); // whole again
    const again = await aevb(['train', '--resume', out, '--epochs', '3']);
    assert.is(again.code, 0, again.stderr);
    assert.not.match(again.stderr, 'the last line is torn');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('links planted in --out are never written through: metrics.jsonl → ../victim stops the run before it trains, config.json → ../victim is replaced', async () => {
  const root = mkdtempSync(join(tmpdir(), 'aevb-links-'));
  try {
    const out = join(root, 'run');
    mkdirSync(out);
    const victim = join(root, 'victim');
    writeFileSync(victim, VICTIM_TEXT);
    symlinkSync('../victim', join(out, 'config.json'));
    symlinkSync('../victim', join(out, METRICS_FILE));
    const refused = await aevb(['train', ...TINY, '--samples', '100', '--out', out]);
    assert.is(refused.code, 1);
    assert.match(
      refused.stderr,
      `${join(out, METRICS_FILE)}: cannot open the metrics log (ELOOP: it is a symbolic link`,
    );
    assert.is(readFileSync(victim, 'utf8'), VICTIM_TEXT);
    assert.not.ok(existsSync(join(out, 'checkpoint.safetensors')));

    rmSync(join(out, METRICS_FILE));
    const ran = await aevb(['train', ...TINY, '--samples', '100', '--out', out]);
    assert.is(ran.code, 0, ran.stderr);
    assert.is(readFileSync(victim, 'utf8'), VICTIM_TEXT);
    assert.ok(lstatSync(join(out, 'config.json')).isFile(), "the link was replaced by the run's config.json");
    assert.is(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).latent, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('rows too wide for the kernels are refused at set-up, naming --data, D and the limit, before a row set is held', async () => {
  const root = mkdtempSync(join(tmpdir(), 'aevb-wide-'));
  try {
    // The red team's file: 40 rows of 2^24 bytes promised (one is there), 16 KB gzipped.
    const D = 2 ** 24;
    const data = join(root, 'wide.npy.gz');
    const header = npyHeader('|u1', [40, D]);
    const bytes = new Uint8Array(header.length + D);
    bytes.set(header);
    writeFileSync(data, gzipSync(bytes));
    const started = Date.now();
    const refused = await aevb(['train', '--data', data, '--test-data', data, '--out', join(root, 'run')]);
    assert.is(refused.code, 1, refused.stdout);
    assert.match(
      refused.stderr,
      `aevb: --data ${data}: rows of D = ${D} values are too wide for the model's kernels: decoder.out would have ${D} outputs`,
    );
    assert.match(refused.stderr, '65535 workgroups');
    assert.ok(Date.now() - started < 30_000, `refused after ${Date.now() - started} ms`);
    assert.not.ok(existsSync(join(root, 'run', 'checkpoint.safetensors')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const startsIn = (out: string) =>
  readFileSync(join(out, METRICS_FILE), 'utf8')
    .trim()
    .split('\n')
    .filter((line) => JSON.parse(line).type === 'start').length;

test('a fresh run into a folder that holds another run is refused with the fix; --overwrite replaces only aevb files', async () => {
  const root = mkdtempSync(join(tmpdir(), 'aevb-out-'));
  try {
    const out = join(root, 'run'); // absent: created as before
    const first = await aevb([
      'train',
      ...TINY,
      '--epochs',
      '1',
      '--early-stop',
      '1',
      '--validation-split',
      '0.2',
      '--out',
      out,
    ]);
    assert.is(first.code, 0, first.stderr);
    assert.ok(existsSync(join(out, 'manifold.png')), 'Z = 2: the first run draws the manifold');
    assert.ok(existsSync(join(out, 'best', 'checkpoint.safetensors')));
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    const before = readFileSync(join(out, 'checkpoint.safetensors'));

    const refused = await aevb(['train', ...TINY, '--latent', '3', '--epochs', '1', '--out', out]);
    assert.is(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, `aevb: --out ${out} holds another run (last written `);
    assert.match(
      refused.stderr,
      `UTC, step ${readCheckpoint(out).snapshot.step}): pass --resume ${out} to continue it, another --out for a new run, or --overwrite`,
    );
    assert.equal(readFileSync(join(out, 'checkpoint.safetensors')), before, 'the refused run wrote nothing');
    assert.not.ok(existsSync(join(out, 'checkpoint.prev.safetensors')));
    assert.is(startsIn(out), 1);

    const replaced = await aevb(['train', ...TINY, '--latent', '3', '--epochs', '1', '--out', out, '--overwrite']);
    assert.is(replaced.code, 0, replaced.stderr);
    assert.is(startsIn(out), 1, 'metrics.jsonl holds the new run alone');
    assert.is(readCheckpoint(out).snapshot.config.latent, 3);
    assert.not.ok(existsSync(join(out, 'manifold.png')), "the old run's manifold is gone (Z = 3 draws none)");
    assert.not.ok(existsSync(join(out, 'best')), "the old run's best model is gone");
    assert.is(readFileSync(join(out, 'notes.txt'), 'utf8'), 'mine\n', "the user's own file stays");

    const empty = join(root, 'empty');
    mkdirSync(empty);
    const intoEmpty = await aevb(['train', ...TINY, '--samples', '100', '--out', empty]);
    assert.is(intoEmpty.code, 0, intoEmpty.stderr);
    const continued = await aevb(['train', '--resume', out, '--epochs', '2', '--overwrite']);
    assert.is(continued.code, 1);
    assert.match(continued.stderr, `--overwrite with --resume ${out}: the run being continued writes there`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('--resume with --data other than the run was trained on is refused, naming both, unless --allow-other-data', async () => {
  const out = mkdtempSync(join(tmpdir(), 'aevb-other-data-'));
  try {
    const first = await aevb(['train', ...TINY, '--epochs', '1', '--out', out]);
    assert.is(first.code, 0, first.stderr);
    const other = await aevb(['train', '--resume', out, '--epochs', '2', '--data', 'synthetic:800x16']);
    assert.is(other.code, 1, other.stdout);
    assert.match(
      other.stderr,
      `--resume ${out}: the run was trained on synthetic:400x16, not --data synthetic:800x16; drop --data to ` +
        "continue on the run's own data, or add --allow-other-data to continue on synthetic:800x16",
    );
    assert.is(readCheckpoint(out).snapshot.step, 20, 'nothing trained');
    const same = await aevb(['train', '--resume', out, '--epochs', '2', '--data', 'synthetic:400x16']);
    assert.is(same.code, 0, same.stderr);
    assert.is(readCheckpoint(out).snapshot.step, 40);
    const allowed = await aevb([
      'train',
      '--resume',
      out,
      '--epochs',
      '3',
      '--data',
      'synthetic:800x16',
      '--allow-other-data',
    ]);
    assert.is(allowed.code, 0, allowed.stderr);
    assert.is(readCheckpoint(out).snapshot.step, 80, 'the third epoch ran over the 800 rows of the other data');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('--resume says which stored data it opens before it opens it; data given on the command line is not named', async () => {
  const out = mkdtempSync(join(tmpdir(), 'aevb-stored-data-'));
  try {
    const first = await aevb(['train', ...TINY, '--epochs', '1', '--out', out]);
    assert.is(first.code, 0, first.stderr);
    const resumed = await aevb(['train', '--resume', out, '--epochs', '2']);
    assert.is(resumed.code, 0, resumed.stderr);
    assert.match(
      resumed.stderr,
      `aevb: resuming ${out} on the data its checkpoint names: training data synthetic:400x16`,
    );
    const given = await aevb(['train', '--resume', out, '--epochs', '3', '--data', 'synthetic:400x16']);
    assert.is(given.code, 0, given.stderr);
    assert.not.match(given.stderr, 'on the data its checkpoint names');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("a link planted at --out/best is never followed: early stopping's best model is refused there, the target untouched", async () => {
  const root = mkdtempSync(join(tmpdir(), 'aevb-best-link-'));
  try {
    const out = join(root, 'run');
    mkdirSync(out);
    const target = join(root, 'elsewhere');
    mkdirSync(target);
    symlinkSync('../elsewhere', join(out, 'best'));
    const run = await aevb([
      'train',
      ...TINY,
      '--epochs',
      '3',
      '--validation-split',
      '0.2',
      '--early-stop',
      '2',
      '--out',
      out,
    ]);
    assert.match(run.stderr, `${join(out, 'best')}: is a symbolic link`);
    assert.equal(readdirSync(target), [], 'nothing was written through the link');
    assert.ok(lstatSync(join(out, 'best')).isSymbolicLink(), 'the link itself is left for the user to remove');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
