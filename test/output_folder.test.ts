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
    assert.not.match(again.stderr, 'torn');
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

test.run();
