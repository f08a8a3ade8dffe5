/**
 * A small Figure 2 of Kingma & Welling: AEVB against the wake-sleep algorithm on MNIST with the paper's
 * setting (784-500-Z, tanh, N(0, 0.01²) init, Adagrad 0.02, M = 100, dynamically binarized data; paperConfig),
 * the same budget of training samples for both, the test lower bound on the first test rows every few steps.
 * Prints the curves as a table and draws them into one plot (both methods, each Z), the points beside it as JSON.
 *
 * Run:  node --import tsx bench/figure2_wake_sleep.ts [--latent 3,10] [--samples 40000] [--every 50] [--test-rows 1000] [--out figure2.png]
 */
import { writeFileSync } from 'node:fs';
import { lastValueFrom, tap } from 'rxjs';
import { paperConfig } from '../src/cli/paper_command.node.ts';
import { mnistSource } from '../src/data/mnist.node.ts';
import { loadRows } from '../src/data/read_rows.ts';
import { writeLineChart } from '../src/io/line_chart_png.node.ts';
import type { ChartSeries } from '../src/io/line_chart.ts';
import { trainingRun } from '../src/run/training_run.ts';
import { Trainer } from '../src/train/trainer.ts';

const flag = (name: string, fallback: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback;
const latents = flag('--latent', '3,10').split(',').map(Number);
const samples = Number(flag('--samples', '40000'));
const every = Number(flag('--every', '50'));
const testRows = Number(flag('--test-rows', '1000'));
const out = flag('--out', 'figure2.png');

const test = await loadRows(mnistSource('test'), { maxRows: testRows, binarize: true });
const series: ChartSeries[] = [];
const table: string[] = [];
for (const Z of latents) {
  for (const method of ['sgvb', 'wake-sleep'] as const) {
    const config = { ...paperConfig(Z), D: 784, method };
    const trainer = await Trainer.create(config);
    const points: Array<[number, number]> = [];
    const started = performance.now();
    try {
      await lastValueFrom(
        trainingRun(trainer, {
          source: mnistSource('train'),
          steps: samples / config.batch,
          evaluate: { test },
          evaluateEvery: every,
        }).pipe(
          tap((e) => {
            if (e.type === 'evaluation' && (points.at(-1)?.[0] ?? 0) < e.samples)
              points.push([e.samples, e.results.test.elbo]); // the run's end may repeat the last
          }),
        ),
      );
    } finally {
      trainer.destroy();
    }
    const name = `${method === 'sgvb' ? 'AEVB' : 'wake-sleep'}, Z = ${Z}`;
    series.push({ name, points });
    table.push(
      `${name.padEnd(18)} | ${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s | ${points.map(([n, v]) => `${n}: ${v.toFixed(1)}`).join('  ')}`,
    );
    console.log(table.at(-1));
  }
}
writeFileSync(out.replace(/\.png$/, '.json'), JSON.stringify(series));
writeLineChart(out, {
  title: `MNIST 784-500-Z: test lower bound, AEVB vs wake-sleep`,
  xLabel: 'training samples seen',
  yLabel: 'ELBO (nats per datapoint)',
  series,
  xScale: 'log',
});
console.log(`\nmethod, Z          |  time | samples: test ELBO\n${table.join('\n')}\nplot: ${out}`);
