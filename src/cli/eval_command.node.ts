// Node-only: `aevb eval` — the standard evaluation of a trained checkpoint: test ELBO over the whole test set,
// importance-sampled log p(x) with k samples (Burda et al.'s protocol) on the first N test points, and the
// number of active latent units; printed as a table and, with --json, as one JSON line.
import { Command, Option } from 'commander';
import { integer } from './flag_parsers.node.ts';
import { dataFlagOf, modelFromCheckpoint, noStoredDataMessage, testSetOf } from './checkpoint_trainer.node.ts';
import { CountProgress } from './progress.node.ts';
import { bitsPerDimension, DEQUANTIZATION_LEVELS } from '../data/dequantization.ts';

export function evalCommand(): Command {
  return new Command('eval')
    .description('Evaluate a checkpoint: test ELBO, importance-sampled log p(x), active units.')
    .requiredOption('--checkpoint <dir>', 'the run folder holding checkpoint.safetensors')
    .option('--k <samples>', 'importance samples per test point for log p(x)', integer('--k', 1), 1000)
    .option(
      '--points <n>',
      'test points for log p(x) (the first n; all for the full protocol)',
      integer('--points', 1),
      1000,
    )
    .option(
      '--data <path>',
      "the test set: a file (IDX, .npy, raw; .gz) or a shard directory (default: the bundled MNIST's, for a run trained on it; formerly --test-data)",
    )
    .addOption(new Option('--test-data <path>', '--data by its old name').hideHelp())
    .option('--chunk <rows>', 'rows per GPU pass for log p(x)', integer('--chunk', 1), 100)
    .option('--json', 'print one JSON line instead of the table')
    .option('--vulkan-driver <name>', 'auto | system | lavapipe | swiftshader | path to an ICD json')
    .action(async (o) => {
      const { model, checkpoint } = await modelFromCheckpoint(o.checkpoint, o.vulkanDriver);
      try {
        const config = checkpoint.snapshot.config;
        const test = await testSetOf(checkpoint, dataFlagOf(o));
        if (test === null) throw new Error(noStoredDataMessage(o.checkpoint, 'aevb eval'));
        const data = { test: test.values };
        const elbo = await model.evaluate(data.test);
        const points = Math.min(o.points, elbo.rows);
        refuseBeyondCounters(o.k, points, o.chunk);
        const started = performance.now();
        // On stderr, --json or not: stdout keeps the result alone.
        const progress = new CountProgress('log p(x)', `importance samples (${points} points × k = ${o.k})`);
        const estimate = new DurationEstimate(started);
        const logPx = await model.logPx(data.test.subarray(0, points * config.D), {
          k: o.k,
          chunk: o.chunk,
          onProgress: (done, total) => {
            progress.update(done, total);
            const line = estimate.after(done, total);
            if (line !== null) {
              progress.end();
              console.error(`aevb: log p(x): ${line}; fewer --k or --points go faster`);
            }
          },
        });
        const seconds = (performance.now() - started) / 1000;
        progress.end();
        const units = await model.activeUnits(data.test);
        const result = {
          checkpoint: o.checkpoint,
          step: checkpoint.snapshot.step,
          test_points: elbo.rows,
          test_elbo: elbo.elbo,
          kl: elbo.kl,
          logp: elbo.logp,
          log_px: logPx.logPx,
          k: o.k,
          log_px_points: points,
          log_px_seconds: seconds,
          active_units: units.count,
          latent: config.latent,
          // A model of dequantized 8-bit values: the bounds of the bytes themselves (change of variables), and in bits/dim.
          ...(config.dequantize === 'uniform'
            ? {
                test_elbo_bytes: elbo.elbo - config.D * Math.log(DEQUANTIZATION_LEVELS),
                test_elbo_bits_per_dim: bitsPerDimension(elbo.elbo, config.D),
                log_px_bytes: logPx.logPx - config.D * Math.log(DEQUANTIZATION_LEVELS),
                log_px_bits_per_dim: bitsPerDimension(logPx.logPx, config.D),
              }
            : {}),
        };
        if (o.json) {
          console.log(JSON.stringify(result));
        } else {
          console.log(`checkpoint            ${o.checkpoint} (step ${result.step})`);
          console.log(
            `test ELBO             ${elbo.elbo.toFixed(2)} nats  (${elbo.rows} points; KL ${elbo.kl.toFixed(2)}, log p(x|z) ${elbo.logp.toFixed(2)})`,
          );
          console.log(
            `log p(x), k = ${String(o.k).padEnd(7)} ${logPx.logPx.toFixed(2)} nats  (first ${points} points, ${seconds.toFixed(0)} s)`,
          );
          if (config.dequantize === 'uniform') {
            const bytes = (nats: number) =>
              `${(nats - config.D * Math.log(DEQUANTIZATION_LEVELS)).toFixed(2)} nats = ${bitsPerDimension(nats, config.D).toFixed(4)} bits/dim`;
            console.log(
              `of the 8-bit values   ELBO ${bytes(elbo.elbo)}; log p(x) ${bytes(logPx.logPx)}  (dequantized: − D ln 256)`,
            );
          }
          console.log(`active units          ${units.count} of ${config.latent}  (Var_x E[z_j|x] > 0.01)`);
        }
      } finally {
        model.destroy();
      }
    });
}

/** ε of sample s of chunk c is Philox counter c·k + s (importance_sampled_log_px.ts): 2³² counters in all. */
export function refuseBeyondCounters(k: number, points: number, chunk: number): void {
  const chunks = Math.ceil(points / Math.min(chunk, points));
  if (chunks * k > 2 ** 32)
    throw new Error(
      `--k ${k} over ${points} points in chunks of --chunk ${chunk} (${chunks} chunks) needs ${chunks * k} random ` +
        `streams, more than the 2³² there are: lower --k or --points, or raise --chunk`,
    );
}

/** Says once, after a few seconds' work, how long the whole estimate will take at the rate measured so far. */
export class DurationEstimate {
  private said = false;
  constructor(private readonly started: number) {}

  /** The line to print (once), or null. */
  after(done: number, total: number): string | null {
    const seconds = (performance.now() - this.started) / 1000;
    if (this.said || done >= total || seconds < ESTIMATE_AFTER_S) return null;
    this.said = true;
    const rate = done / seconds;
    return (
      `${total} importance samples at ${Math.round(rate)} samples/s measured so far: about ` +
      `${durationText((total - done) / rate)} more`
    );
  }
}

/** Seconds of work before the estimate is said: enough for a steady rate, soon enough to matter. */
const ESTIMATE_AFTER_S = 3;

function durationText(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  if (seconds < 5400) return `${Math.ceil(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}
