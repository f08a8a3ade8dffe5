// Node-only: the flags of `aevb train`, parsed by commander into a TrainConfig plus run settings.
import { Command, InvalidArgumentError, Option } from 'commander';
import { integer, nonNegativeNumber, positiveNumber } from './flag_parsers.node.ts';
import { ACTIVATIONS } from '../kernels/activation.ts';
import { INIT_SCHEMES } from '../model/initialization.ts';
import { DEFAULT_TRAIN_CONFIG, OPTIMIZER_KINDS, type TrainConfig } from '../train/train_config.ts';
import { DATA_FORMATS } from '../data/row_format.ts';
import type { DataSettings } from './data_setup.node.ts';

export interface RunSettings extends Omit<DataSettings, 'seed'> {
  /** Also evaluate the lower bound on the first this many training rows at every evaluation (0: no). */
  trainBoundRows?: number;
  /** Rows in the streaming shuffle window. */
  shuffleWindow: number;
  epochs: number;
  /** Total training samples; overrides epochs when set. */
  samples: number | null;
  out: string;
  resume: string | null;
  checkpointEvery: number;
  metricsEvery: number;
  evalChunk: number;
  vulkanDriver: string | undefined;
}

function widths(value: string): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new InvalidArgumentError(`--hidden takes comma-separated widths ≥ 1 (e.g. 500 or 500,300), got '${value}'`);
  return list;
}

/** The `train` command's definition; `action` receives the parsed config, the run settings, and which model flags were given. */
export function trainCommand(action: (config: TrainConfig, run: RunSettings, given: Set<string>) => Promise<void>): Command {
  const d = DEFAULT_TRAIN_CONFIG;
  const command = new Command('train')
    .description('Train a VAE, streaming minibatches from the bundled MNIST or from --data (any size: memory stays bounded).')
    .option('--data <path>', 'training data: an IDX / .npy / raw file (optionally .gz), a directory of shards, or synthetic:ROWSxD (synthetic:infxD is unbounded)')
    .option('--test-data <path>', 'test set for the ELBO after every epoch (held in memory; default with --data: none)')
    .addOption(new Option('--format <format>', 'format of --data and --test-data (auto: from the file name)').choices(DATA_FORMATS).default('auto'))
    .option('--dim <D>', 'values per row, for raw rows', integer('--dim', 1))
    .option('--no-binarize', 'keep grey levels instead of binarizing each minibatch (Bernoulli likelihood of values in [0, 1])')
    .option('--shuffle-window <rows>', 'rows in the streaming shuffle window (memory: rows × D × bytes per value; 1 = no shuffling)', integer('--shuffle-window', 1), 60000)
    .option('--epochs <n>', 'passes over the training set', integer('--epochs', 1), 1)
    .option('--samples <n>', 'train on this many samples instead (overrides --epochs)', integer('--samples', 1))
    .option('--hidden <widths>', 'hidden layer widths of the encoder, comma-separated; the decoder mirrors them', widths, d.hidden)
    .option('--latent <Z>', 'latent dimension', integer('--latent', 1), d.latent)
    .option('--batch <M>', 'minibatch size', integer('--batch', 1), d.batch)
    .addOption(new Option('--activation <name>', 'hidden-layer activation').choices(ACTIVATIONS).default(d.activation))
    .addOption(new Option('--init <scheme>', "initialisation: pytorch U(±1/√fan_in), glorot, or paper N(0, 0.01²)").choices(INIT_SCHEMES).default(d.init))
    .addOption(new Option('--optimizer <name>', 'optimizer (adagrad is the paper\'s)').choices(OPTIMIZER_KINDS).default(d.optimizer))
    .option('--lr <rate>', 'learning rate (default: adam 1e-3, adagrad 0.02, sgd 0.01)', positiveNumber('--lr'))
    .option('--weight-decay <lambda>', 'N(0, I/λ) prior on the parameters, added to the gradient as λθ', nonNegativeNumber('--weight-decay'), d.weightDecay)
    .option('--beta <β>', 'weight of the KL term in the training loss (1: the ELBO; reported ELBOs always use 1)', nonNegativeNumber('--beta'), d.beta)
    .option('--kl-warmup <steps>', 'KL warm-up: β rises linearly from 0 over this many steps (0: none)', integer('--kl-warmup', 0), d.klWarmup)
    .addOption(new Option('--likelihood <name>', 'p(x|z): bernoulli (binary data) or gaussian (real values in [0, 1]; use with --no-binarize)').choices(['bernoulli', 'gaussian']).default(d.likelihood))
    .addOption(new Option('--objective <name>', 'elbo, or iwae: the importance-weighted bound over --samples-per-point samples (Burda et al.)').choices(['elbo', 'iwae']).default(d.objective))
    .addOption(new Option('--estimator <A|B>', "the paper's SGVB estimator: B analytic KL, A Monte-Carlo KL").choices(['A', 'B']).default(d.estimator))
    .option('--samples-per-point <L>', 'samples of z per datapoint in each step', integer('--samples-per-point', 1), d.samplesPerPoint)
    .option('--seed <n>', 'the run\'s one seed (init, shuffling, binarization, ε)', integer('--seed', 0), d.seed)
    .option('--out <dir>', 'where metrics.jsonl and checkpoint.safetensors go', 'out')
    .option('--resume <dir>', 'continue the run whose checkpoint is in <dir> (same model; writes there unless --out is given)')
    .option('--checkpoint-every <steps>', 'also checkpoint every this many steps (0: only at the end of each epoch and of the run)', integer('--checkpoint-every', 0), 0)
    .option('--metrics-every <steps>', 'read the minibatch ELBO back every this many steps', integer('--metrics-every', 1), 50)
    .option('--eval-chunk <rows>', 'test rows per GPU submission when evaluating', integer('--eval-chunk', 1), 1000)
    .option('--vulkan-driver <name>', 'auto | system | lavapipe | swiftshader | path to an ICD json (default: $AEVB_VULKAN_ICD or auto)')
    .action(async (o, cmd: Command) => {
      const modelFlags = ['hidden', 'latent', 'batch', 'activation', 'init', 'optimizer', 'lr', 'weightDecay', 'seed', 'beta', 'klWarmup', 'estimator', 'samplesPerPoint', 'likelihood', 'objective', 'epochs', 'samples', 'checkpointEvery', 'data', 'testData', 'format', 'dim', 'binarize', 'shuffleWindow'];
      const given = new Set(modelFlags.filter((f) => cmd.getOptionValueSource(f) === 'cli'));
      const config: TrainConfig = {
        D: d.D, hidden: o.hidden, latent: o.latent, activation: o.activation, init: o.init, batch: o.batch,
        optimizer: o.optimizer, lr: o.lr ?? null, weightDecay: o.weightDecay, seed: o.seed, beta: o.beta, klWarmup: o.klWarmup, estimator: o.estimator, samplesPerPoint: o.samplesPerPoint, likelihood: o.likelihood, objective: o.objective,
      };
      const outGiven = cmd.getOptionValueSource('out') === 'cli';
      await action(config, {
        data: o.data ?? null, testData: o.testData ?? null, format: o.format, dim: o.dim, binarize: o.binarize, shuffleWindow: o.shuffleWindow,
        epochs: o.epochs, samples: o.samples ?? null, out: o.resume && !outGiven ? o.resume : o.out, resume: o.resume ?? null,
        checkpointEvery: o.checkpointEvery, metricsEvery: o.metricsEvery, evalChunk: o.evalChunk, vulkanDriver: o.vulkanDriver,
      }, given);
    });
  return command;
}
