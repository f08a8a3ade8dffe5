// Node-only: the flags of `aevb train`, parsed by commander into a TrainConfig plus run settings.
import { Command, Option } from 'commander';
import { fromParser, integer, number, widths } from './flag_parsers.node.ts';
import { formatLrSchedule, parseLrSchedule } from '../train/lr_schedule.ts';
import { parseShardOf } from '../data/http_shards.ts';
import {
  DEFAULT_TRAIN_CONFIG,
  TRAIN_CONFIG_FIELDS,
  type ConfigField,
  type TrainConfig,
} from '../train/train_config.ts';
import { DATA_FORMATS } from '../data/row_format.ts';
import { parseArch, parseImageShape } from '../model/layer_specs.ts';
import type { DataSettings } from './data_setup.node.ts';
import { RUN_DEFAULTS } from '../run/run_defaults.ts';

export interface RunSettings extends Omit<DataSettings, 'seed'> {
  /** Also evaluate the lower bound on the first this many training rows at every evaluation (0: no). */
  trainBoundRows?: number;
  /** Rows in the streaming shuffle window. */
  shuffleWindow: number;
  epochs: number;
  /** Total training samples; overrides epochs when set. */
  samples: number | null;
  out: string;
  /** Replace the run in --out (removing only aevb's files there) instead of refusing to write over it. Default false. */
  overwrite?: boolean;
  resume: string | null;
  /** With --resume: continue on --data although the checkpoint was trained on other data. Default false. */
  allowOtherData?: boolean;
  checkpointEvery: number;
  metricsEvery: number;
  evalChunk: number;
  vulkanDriver: string | undefined;
  /** Share of the training rows held out for validation (by the seed), or null. */
  validationSplit: number | null;
  /** A validation file (held in memory like the test set), or null. */
  validationData: string | null;
  /** Stop after this many evaluations without a better validation ELBO (null: never). */
  earlyStop: number | null;
  /** With earlyStop: end an early-stopped run with the best validation's parameters. Default false. */
  restoreBest?: boolean;
  /** HTTP(S) shards: this trainer's share, shard i of every N. */
  shardOf: { index: number; count: number } | null;
  /** redis://host:port/RUN?size=N&rank=R&every=H: average parameters with the other trainers of RUN. */
  peers: string | null;
  /** A file whose first line is the password of Redis URLs that carry none (else REDIS_PASSWORD), or null. */
  redisPasswordFile?: string | null;
}

/** The command-line flag of a TrainConfig field: `samplesPerPoint` → `--samples-per-point`. */
export function flagOf(field: string): string {
  return `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The TrainConfig fields that are flags, in the table's order. */
const CONFIG_FLAGS = Object.entries(TRAIN_CONFIG_FIELDS)
  .filter(([, field]) => 'flagValue' in field)
  .map(([name]) => name as keyof TrainConfig);

/** The commander option of one TrainConfig field, made from its row of TRAIN_CONFIG_FIELDS. */
function configOption(name: keyof TrainConfig): Option {
  const field: ConfigField = TRAIN_CONFIG_FIELDS[name];
  const flag = flagOf(name);
  const option = new Option(`${flag} ${field.flagValue}`, field.help);
  switch (field.type) {
    case 'integer':
      option.argParser(integer(flag, field.min));
      break;
    case 'number':
      option.argParser(number(flag, field.min, field.minExclusive));
      break;
    case 'widths':
      option.argParser(widths(flag, field.min));
      break;
    case 'choice':
      option.choices(field.choices);
      break;
    case 'schedule':
      option.argParser(fromParser((text) => parseLrSchedule(text, flag)));
      break;
    case 'arch':
      option.argParser(fromParser(parseArch));
      break;
    case 'image-shape':
      option.argParser(fromParser(parseImageShape));
      break;
  }
  // A nullable field's null default means "decided later" (lr: the optimizer's own): the help says so instead.
  if (field.type === 'schedule') option.default(field.default, formatLrSchedule(field.default));
  else if (field.default !== null) option.default(Array.isArray(field.default) ? [...field.default] : field.default);
  return option;
}

/** The `train` command's definition; `action` receives the parsed config, the run settings, and which model flags were given. */
export function trainCommand(
  action: (config: TrainConfig, run: RunSettings, given: Set<string>) => Promise<void>,
): Command {
  const command = new Command('train')
    .description(
      'Train a VAE, streaming minibatches from the bundled MNIST or from --data (any size: memory stays bounded).',
    )
    .option(
      '--data <path>',
      'training data: an IDX / .npy / raw file (optionally .gz), a directory of shards, http(s):// shards, a Redis stream (redis[s]://host:port/STREAM?group=…; redis:///STREAM takes the server from REDIS_URL), or synthetic:ROWSxD (synthetic:infxD is unbounded)',
    )
    .option('--test-data <path>', 'test set for the ELBO after every epoch (held in memory; default with --data: none)')
    .addOption(
      new Option('--format <format>', 'format of --data and --test-data (auto: from the file name)')
        .choices(DATA_FORMATS)
        .default('auto'),
    )
    .option('--dim <D>', 'values per row, for raw rows', integer('--dim', 1))
    .option(
      '--no-binarize',
      'keep grey levels instead of binarizing each minibatch (Bernoulli likelihood of values in [0, 1])',
    )
    .option(
      '--shuffle-window <rows>',
      'rows in the streaming shuffle window (memory: rows × D × bytes per value; 1 = no shuffling)',
      integer('--shuffle-window', 1),
      RUN_DEFAULTS.shuffleWindow,
    )
    .option('--epochs <n>', 'passes over the training set', integer('--epochs', 1), RUN_DEFAULTS.epochs)
    .option('--samples <n>', 'train on this many samples instead (overrides --epochs)', integer('--samples', 1))
    .option(
      '--validation-split <fraction>',
      'hold out this share of the training rows (chosen by --seed, the same every epoch) to validate on',
      number('--validation-split', 0, true),
    )
    .option('--validation-data <path>', 'a validation set instead (held in memory like --test-data)')
    .option(
      '--early-stop <patience>',
      'stop after this many evaluations without a better validation ELBO; the best model is kept in <out>/best/',
      integer('--early-stop', 1),
    )
    .option(
      '--restore-best',
      "with --early-stop: when it stops the run, end with the best validation's parameters (the last checkpoint then holds them)",
    )
    .option(
      '--shard-of <i/N>',
      'with HTTP(S) shards or a folder of files: train on shard (or file) i of every N (one trainer of N)',
      fromParser(parseShardOf),
    )
    .option(
      '--peers <url>',
      'redis://host:port/RUN?size=N&rank=R&every=H: average the parameters with the other N − 1 trainers of RUN every H steps',
    )
    .option(
      '--redis-password-file <path>',
      "the password of redis:// URLs that carry none, on the file's first line (default: $REDIS_PASSWORD); never printed or written",
    )
    .option(
      '--config <file>',
      'a JSON object of these flags by name (e.g. {"latent": 2}); flags on the command line win',
    );
  for (const name of CONFIG_FLAGS) command.addOption(configOption(name));
  command
    .option('--out <dir>', 'where metrics.jsonl and checkpoint.safetensors go', 'out')
    .option(
      '--overwrite',
      'replace the run already in --out (removes only the files aevb train writes there); without it such a folder is refused',
    )
    .option(
      '--resume <dir>',
      'continue the run whose checkpoint is in <dir> (same model; writes there unless --out is given)',
    )
    .option(
      '--allow-other-data',
      'with --resume and --data: continue on --data although the checkpoint was trained on other data',
    )
    .option(
      '--checkpoint-every <steps>',
      'also checkpoint every this many steps (0: only at the end of each epoch and of the run)',
      integer('--checkpoint-every', 0),
      RUN_DEFAULTS.checkpointEvery,
    )
    .option(
      '--metrics-every <steps>',
      'read the minibatch ELBO back every this many steps',
      integer('--metrics-every', 1),
      RUN_DEFAULTS.metricsEvery,
    )
    .option(
      '--eval-chunk <rows>',
      'test rows per GPU submission when evaluating',
      integer('--eval-chunk', 1),
      RUN_DEFAULTS.evalChunk,
    )
    .option(
      '--vulkan-driver <name>',
      'auto | system | lavapipe | swiftshader | path to an ICD json (default: $AEVB_VULKAN_ICD or auto)',
    )
    .action(async (o, cmd: Command) => {
      const modelFlags = [
        ...CONFIG_FLAGS,
        'epochs',
        'samples',
        'checkpointEvery',
        'data',
        'testData',
        'format',
        'dim',
        'binarize',
        'shuffleWindow',
        'validationSplit',
        'validationData',
        'earlyStop',
        'restoreBest',
      ];
      const given = new Set(modelFlags.filter((f) => cmd.getOptionValueSource(f) === 'cli'));
      const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG };
      for (const name of CONFIG_FLAGS) if (o[name] !== undefined) (config as Record<string, unknown>)[name] = o[name];
      const outGiven = cmd.getOptionValueSource('out') === 'cli';
      await action(
        config,
        {
          data: o.data ?? null,
          testData: o.testData ?? null,
          format: o.format,
          dim: o.dim,
          binarize: o.binarize,
          shuffleWindow: o.shuffleWindow,
          epochs: o.epochs,
          samples: o.samples ?? null,
          out: o.resume && !outGiven ? o.resume : o.out,
          overwrite: o.overwrite === true,
          resume: o.resume ?? null,
          allowOtherData: o.allowOtherData === true,
          checkpointEvery: o.checkpointEvery,
          metricsEvery: o.metricsEvery,
          evalChunk: o.evalChunk,
          vulkanDriver: o.vulkanDriver,
          validationSplit: o.validationSplit ?? null,
          validationData: o.validationData ?? null,
          earlyStop: o.earlyStop ?? null,
          restoreBest: o.restoreBest === true,
          shardOf: o.shardOf ?? null,
          peers: o.peers ?? null,
          redisPasswordFile: o.redisPasswordFile ?? null,
        },
        given,
      );
    });
  return command;
}
