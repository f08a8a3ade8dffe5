/**
 * Child process of bench/stream_memory.ts: trains `--steps` steps streamed from `--data` (a shard directory,
 * or synthetic:infx784) and prints one JSON line with the process's peak RSS. A fresh process per dataset,
 * so each peak is its own.
 */
import { lastValueFrom } from 'rxjs';
import { fileSource } from '../src/data/file_source.node.ts';
import { syntheticSource } from '../src/data/synthetic_source.ts';
import { Trainer } from '../src/train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/train/train_config.ts';
import { trainingRun } from '../src/run/training_run.ts';

const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
const data = arg('--data');
const steps = Number(arg('--steps'));
const batch = Number(arg('--batch'));
const window = Number(arg('--shuffle-window'));
// A small model: this benchmark is about the data side's memory, and a fast step lets it stream far.
const config = { ...DEFAULT_TRAIN_CONFIG, hidden: [64], latent: 8, batch };
const source =
  data === 'synthetic:infx784'
    ? syntheticSource({ D: 784, rows: Infinity, seed: 1, blockRows: 1024 })
    : fileSource(data);
const trainer = await Trainer.create(config);
const started = performance.now();
await lastValueFrom(trainingRun(trainer, { source, steps, shuffleWindow: window }));
const seconds = (performance.now() - started) / 1000;
trainer.destroy();
console.log(
  JSON.stringify({ data, steps, rows: steps * batch, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 }),
);
