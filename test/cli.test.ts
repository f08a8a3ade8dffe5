// The `aevb` command line: --help explains the flags; out-of-range flags, a missing checkpoint and a --resume
// into a different model are refused with a message and exit status 1, before any training starts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCheckpoint } from '../src/io/checkpoint.node.ts';
import { DEFAULT_TRAIN_CONFIG, TRAIN_CONFIG_FIELDS, type ConfigField } from '../src/train/train_config.ts';
import { formatLrSchedule } from '../src/train/lr_schedule.ts';
import { flagOf } from '../src/cli/train_options.node.ts';
import { runAevb } from './cli_process.ts';

const aevb = (...args: string[]) => runAevb(args, 60_000);

test('aevb train --help explains every flag', async () => {
  const { code, stdout } = await aevb('train', '--help');
  assert.is(code, 0);
  for (const flag of [
    '--epochs',
    '--samples',
    '--hidden',
    '--latent',
    '--batch',
    '--activation',
    '--init',
    '--optimizer',
    '--lr',
    '--weight-decay',
    '--seed',
    '--out',
    '--resume',
    '--checkpoint-every',
  ]) {
    assert.ok(stdout.includes(flag), `--help mentions ${flag}`);
  }
});

test('aevb train --help shows every flag of the TrainConfig table with its help, choices and default', async () => {
  const { stdout } = await aevb('train', '--help');
  // One block per option: its first line and the lines its description wraps onto, whitespace collapsed.
  const blocks = stdout.split(/\n(?=\s{2}-)/).map((block) => block.replace(/\s+/g, ' ').trim());
  for (const [name, field] of Object.entries(TRAIN_CONFIG_FIELDS) as Array<[string, ConfigField]>) {
    if (field.flagValue === undefined) continue;
    const block = blocks.find((b) => b.startsWith(`${flagOf(name)} ${field.flagValue} `));
    assert.ok(block, `--help has no line for ${flagOf(name)} ${field.flagValue}`);
    assert.ok(block!.includes(field.help), `${flagOf(name)}: help '${field.help}' in: ${block}`);
    if (field.type === 'choice')
      assert.ok(block!.includes(`choices: ${field.choices.map((c) => `"${c}"`).join(', ')}`), block);
    const shown = field.type === 'schedule' ? formatLrSchedule(field.default) : JSON.stringify(field.default);
    if (field.default !== null)
      assert.ok(block!.includes(`default: ${shown})`), `${flagOf(name)} default ${shown} in: ${block}`);
  }
});

for (const [args, expected] of [
  [['--latent', '0'], '--latent must be an integer ≥ 1'],
  [['--batch', '2.5'], '--batch must be an integer ≥ 1'],
  [['--lr', '-1'], '--lr must be a number > 0'],
  [['--lr', '50'], 'lr must be a number in (0, 10)'],
  [['--hidden', '500,x'], '--hidden takes comma-separated widths'],
  [['--activation', 'swish'], 'Allowed choices are identity, tanh, relu, softplus, sigmoid'],
  [['--weight-decay', 'lots'], '--weight-decay must be a number ≥ 0'],
  [['--estimator', 'C'], 'Allowed choices are A, B'],
  [['--samples-per-point', '0'], '--samples-per-point must be an integer ≥ 1'],
  [['--samples-per-point', '2000'], 'samplesPerPoint must be an integer from 1 to 1024, got 2000'],
] as Array<[string[], string]>) {
  test(`aevb train ${args.join(' ')} is refused`, async () => {
    const { code, stderr } = await aevb('train', ...args);
    assert.is(code, 1);
    assert.ok(stderr.includes(expected), `stderr should say '${expected}', got: ${stderr}`);
  });
}

test('aevb eval, sample and paper refuse bad arguments with a message', async () => {
  const missing = join(mkdtempSync(join(tmpdir(), 'aevb-cli-')), 'nothing-here');
  for (const [args, expected] of [
    [['eval'], "required option '--checkpoint <dir>' not specified"],
    [['eval', '--checkpoint', missing], `${join(missing, 'checkpoint.safetensors')}: cannot read the checkpoint`],
    [['eval', '--checkpoint', missing, '--k', '0'], '--k must be an integer ≥ 1'],
    [['sample', '--checkpoint', missing], 'cannot read the checkpoint'],
    [['paper', '--latent', '0'], '--latent must be an integer ≥ 1'],
    [['paper', '--method', 'em'], 'Allowed choices are sgvb, wake-sleep, both'],
  ] as Array<[string[], string]>) {
    const { code, stderr } = await aevb(...args);
    assert.is(code, 1, args.join(' '));
    assert.ok(stderr.includes(expected), `aevb ${args.join(' ')}: stderr should say '${expected}', got: ${stderr}`);
  }
});

test('--resume of a folder without a checkpoint names the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-cli-'));
  const { code, stderr } = await aevb('train', '--resume', dir);
  assert.is(code, 1);
  assert.match(stderr, `${join(dir, 'checkpoint.safetensors')}: cannot read the checkpoint`);
});

test('--resume into a different model shape is refused, naming the flag', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-cli-'));
  writeCheckpoint(dir, {
    snapshot: { config: { ...DEFAULT_TRAIN_CONFIG, latent: 2 }, step: 5, tensors: [] },
    run: null,
  });
  const { code, stderr } = await aevb('train', '--resume', dir, '--latent', '7');
  assert.is(code, 1);
  assert.match(stderr, 'the checkpoint was trained with --latent 2, not 7');
});

/** The `train` records of a run's metrics log, as [step, elbo]. */
function trainRecords(dir: string): Array<[number, number]> {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.type === 'train')
    .map((r) => [r.step, r.elbo]);
}

test('aevb train stopped after 3 steps and resumed continues exactly as a straight run (real MNIST)', async () => {
  const small = ['--hidden', '16', '--latent', '2', '--metrics-every', '1', '--shuffle-window', '1000'];
  const straight = mkdtempSync(join(tmpdir(), 'aevb-cli-straight-'));
  const split = mkdtempSync(join(tmpdir(), 'aevb-cli-split-'));
  let run = await aevb('train', ...small, '--samples', '600', '--out', straight);
  assert.is(run.code, 0, run.stderr);
  run = await aevb('train', ...small, '--samples', '300', '--out', split);
  assert.is(run.code, 0, run.stderr);
  run = await aevb('train', '--resume', split, '--samples', '600', '--metrics-every', '1');
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, `resuming from ${split} at step 3 (epoch 1, minibatch 4)`);
  assert.equal(trainRecords(split), trainRecords(straight));
  const changed = await aevb('train', '--resume', split, '--samples', '900', '--shuffle-window', '50');
  assert.is(changed.code, 1);
  assert.match(changed.stderr, 'the run was streamed with --shuffle-window 1000, not 50');
  assert.equal(
    trainRecords(straight).map(([step]) => step),
    [1, 2, 3, 4, 5, 6],
  );
});

test("--config: the file's flags, the command line winning; validation, early stopping, the best model, curves and the resolved config written", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-cli-config-'));
  const file = join(dir, 'run.json');
  writeFileSync(
    file,
    JSON.stringify({
      data: 'synthetic:600x16',
      hidden: [8],
      latent: 5,
      batch: 20,
      lrSchedule: { kind: 'cosine', steps: 60, min: 0.0001 },
      validationSplit: 0.2,
      earlyStop: 2,
      epochs: 3,
      binarize: true,
    }),
  );
  const out = join(dir, 'out');
  const run = await aevb('train', '--config', file, '--latent', '2', '--out', out);
  assert.is(run.code, 0, run.stderr);
  const resolved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(
    [
      resolved.latent,
      resolved.hidden,
      resolved.batch,
      resolved.lrSchedule,
      resolved.validationSplit,
      resolved.earlyStop,
    ],
    [2, [8], 20, { kind: 'cosine', steps: 60, min: 0.0001 }, 0.2, 2],
    "the file's values, --latent from the command line",
  );
  assert.match(run.stdout, /epoch 1: validation ELBO -?\d+\.\d\d after \d+ samples/);
  const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(records.filter((r) => r.type === 'validation').length >= 1);
  assert.ok(
    records.some((r) => r.type === 'checkpoint' && r.best === true),
    'a best checkpoint was written',
  );
  for (const f of ['best/checkpoint.safetensors', 'curves.png', 'checkpoint.safetensors'])
    assert.ok(existsSync(join(out, f)), f);
  // The resolved config starts the same run again; a key that is no flag is refused naming the file.
  writeFileSync(file, JSON.stringify({ latentt: 2 }));
  const bad = await aevb('train', '--config', file);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, `${file}: 'latentt' is not a flag of aevb train`);
});

test('aevb paper into a folder that holds a run is refused with the fix; --overwrite replaces it', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'aevb-paper-')), 'run');
  const first = await aevb('paper', '--samples', '200', '--out', out);
  assert.is(first.code, 0, first.stderr);
  const again = await aevb('paper', '--samples', '200', '--out', out);
  assert.is(again.code, 1, again.stdout);
  assert.match(again.stderr, `--out ${out} holds another run`);
  assert.match(again.stderr, '--overwrite to replace it');
  const replaced = await aevb('paper', '--samples', '200', '--out', out, '--overwrite');
  assert.is(replaced.code, 0, replaced.stderr);
  assert.ok(existsSync(join(out, 'lower_bound.png')));
});

test('a conv run from a layer list names its model, and a resume with another --arch is refused naming both', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'aevb-layer-list-')), 'run');
  const layers = JSON.stringify({
    encoder: [{ type: 'conv', channels: 2, kernel: 2, stride: 2 }],
    decoder: [
      { type: 'dense', outputs: 8 },
      { type: 'reshape', shape: [2, 2, 2] },
      { type: 'conv-transpose', channels: 1, kernel: 2, stride: 2 },
    ],
  });
  const tiny = ['--data', 'synthetic:100x16', '--image-shape', '1,4,4', '--latent', '2', '--batch', '20'];
  const first = await aevb('train', ...tiny, '--arch', layers, '--epochs', '1', '--out', out);
  assert.is(first.code, 0, first.stderr);
  const model =
    'conv 2 (kernel 2, stride 2, padding 0) | dense 8, reshape 2×2×2, conv-transpose 1 (kernel 2, stride 2, padding 0)';
  assert.match(first.stdout, `aevb: 16-[${model}]-2 VAE`);
  // Synthetic data says its rows up front, so epoch 1's bar has a total (it counted without one).
  assert.match(first.stderr, /epoch 1 \|[^|]*\| 5\/5 steps/);
  const other = await aevb('train', '--resume', out, '--epochs', '2', '--arch', 'conv:4');
  assert.is(other.code, 1, other.stdout);
  assert.match(other.stderr, `the checkpoint was trained with --arch ${model}, not conv:4`);
});

test.run();
