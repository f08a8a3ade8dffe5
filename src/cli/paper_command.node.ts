// Node-only: `aevb paper` — Kingma & Welling's MNIST experiment (Figure 2) as one command: their model and
// optimiser (784-500-Z, tanh, N(0, 0.01²) init, Adagrad 0.02, M = 100, L = 1, the N(0, I) prior on the
// parameters scaled by M/N), the train and test lower bound logged against samples seen after every epoch,
// and the curves drawn into lower_bound.png. `--method wake-sleep` trains the same model by the paper's
// baseline instead, and `--method both` trains each into its own folder and overlays their curves in one plot,
// as the paper's Figure 2 does.
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { integer } from './flag_parsers.node.ts';
import { writeLineChart } from '../io/line_chart_png.node.ts';
import { readMetricsLog } from '../io/metrics_log.node.ts';
import { trainingCurvesChart, type MetricsRecord } from '../io/training_curves.ts';
import type { LineChart } from '../io/line_chart.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../train/train_config.ts';
import { runTraining } from './train_run.node.ts';
import { RUN_DEFAULTS } from '../run/run_defaults.ts';

const MNIST_TRAINING_ROWS = 60_000;

/** The paper's setting for latent dimension Z. */
export function paperConfig(latent: number): TrainConfig {
  return {
    ...DEFAULT_TRAIN_CONFIG,
    hidden: [500],
    latent,
    activation: 'tanh',
    init: 'paper',
    batch: 100,
    optimizer: 'adagrad',
    lr: 0.02,
    // The prior p(θ) = N(0, I) enters each minibatch's (per-datapoint) objective with weight 1/N.
    weightDecay: 1 / MNIST_TRAINING_ROWS,
  };
}

/** The methods `aevb paper` can train by, and their names in the plot. */
const METHODS = { sgvb: 'AEVB', 'wake-sleep': 'wake-sleep' } as const;
type Method = keyof typeof METHODS;

/** One chart of several runs' train and test lower bounds, each series named after its run. */
export function overlaidBounds(title: string, runs: Array<{ name: string; records: MetricsRecord[] }>): LineChart {
  const charts = runs.map((r) =>
    trainingCurvesChart(r.records, { title, types: ['train_bound', 'test'], xScale: 'log' }),
  );
  return {
    ...charts[0],
    series: charts.flatMap((chart, i) =>
      chart.series.map((series) => ({ ...series, name: `${runs[i].name} ${series.name}` })),
    ),
  };
}

export function paperCommand(): Command {
  return new Command('paper')
    .description(
      "Rerun Kingma & Welling's Figure 2 MNIST experiment for one latent size and plot its lower bound curve.",
    )
    .option('--latent <Z>', 'latent dimension (the paper shows 3, 5, 10, 20 and 200)', integer('--latent', 1), 20)
    .option('--samples <n>', 'training samples to run (the paper goes to 10⁸)', integer('--samples', 1), 600_000)
    .addOption(
      new Option('--method <name>', 'sgvb (AEVB), wake-sleep (the baseline), or both, overlaid in one plot')
        .choices([...Object.keys(METHODS), 'both'])
        .default('sgvb'),
    )
    .option(
      '--out <dir>',
      'run folder (default runs/paper-z<Z>, with -wake-sleep or -both after it for the other methods)',
    )
    .option('--overwrite', "replace the runs a folder already holds (only aevb's files there are removed)")
    .option('--vulkan-driver <name>', 'auto | system | lavapipe | swiftshader | path to an ICD json')
    .action(async (o) => {
      const methods: Method[] = o.method === 'both' ? ['sgvb', 'wake-sleep'] : [o.method];
      const out = o.out ?? join('runs', `paper-z${o.latent}${o.method === 'sgvb' ? '' : `-${o.method}`}`);
      const runs: Array<{ name: string; records: MetricsRecord[] }> = [];
      for (const method of methods) {
        const folder = methods.length > 1 ? join(out, method) : out;
        await runTraining(
          { ...paperConfig(o.latent), method },
          {
            data: null,
            testData: null,
            format: 'auto',
            dim: undefined,
            binarize: true,
            shuffleWindow: MNIST_TRAINING_ROWS,
            epochs: 1,
            samples: o.samples,
            out: folder,
            overwrite: o.overwrite === true,
            resume: null,
            checkpointEvery: 0,
            metricsEvery: RUN_DEFAULTS.metricsEvery,
            evalChunk: RUN_DEFAULTS.evalChunk,
            vulkanDriver: o.vulkanDriver,
            trainBoundRows: 10_000,
            validationSplit: null,
            validationData: null,
            earlyStop: null,
            shardOf: null,
            peers: null,
          },
          new Set(),
        );
        runs.push({ name: METHODS[method], records: readMetricsLog(join(folder, 'metrics.jsonl')) as MetricsRecord[] });
      }
      const path = join(out, 'lower_bound.png');
      const title = `MNIST, Z = ${o.latent}: lower bound per datapoint`;
      writeLineChart(
        path,
        methods.length > 1
          ? overlaidBounds(title, runs)
          : trainingCurvesChart(runs[0].records, { title, types: ['train_bound', 'test'], xScale: 'log' }),
      );
      console.log(`lower bound per datapoint against training samples: ${path}`);
    });
}
