// Node-only: what `aevb train` does — MNIST in, a trained VAE, a metrics log and checkpoints out.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { loadMnist } from '../data/mnist.node.ts';
import { checkDatasetDimension } from '../data/dataset.ts';
import { batchesPerEpoch, binarizeOnce, trainingBatches } from '../data/minibatches.ts';
import { readCheckpoint, writeCheckpoint, type Checkpoint } from '../io/checkpoint.node.ts';
import { Trainer } from '../train/trainer.ts';
import { optimizerOf, validateTrainConfig, type TrainConfig } from '../train/train_config.ts';
import type { RunSettings } from './train_options.node.ts';

/** The test set is binarized once with this fixed seed, whatever the run's seed (the standard protocol). */
export const TEST_BINARIZATION_SEED = 12345;

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** On --resume the checkpoint's config wins; a model flag given on the command line must agree with it. */
function resumedConfig(config: TrainConfig, checkpoint: Checkpoint, given: Set<string>, directory: string): TrainConfig {
  const saved = checkpoint.snapshot.config;
  for (const flag of given) {
    const key = flag as keyof TrainConfig;
    if (JSON.stringify(config[key]) !== JSON.stringify(saved[key])) {
      throw new Error(`--resume ${directory}: the checkpoint was trained with --${kebab(flag)} ${saved[key]}, not ${config[key]}; ` +
        'a run can only be continued with its own model and optimizer (drop the flag, or start a new run with --out)');
    }
  }
  return saved;
}

export async function runTraining(requested: TrainConfig, run: RunSettings, given: Set<string>): Promise<void> {
  const checkpoint = run.resume === null ? null : readCheckpoint(run.resume);
  const config = checkpoint === null ? requested : resumedConfig(requested, checkpoint, given, run.resume!);
  validateTrainConfig(config);
  const train = loadMnist('train');
  const test = loadMnist('test');
  checkDatasetDimension(train, config.D);
  checkDatasetDimension(test, config.D);
  const perEpoch = batchesPerEpoch(train.rows, config.batch);
  const savedTotal = checkpoint?.extra.totalSteps;
  const totalSteps = run.samples !== null ? Math.ceil(run.samples / config.batch)
    : checkpoint !== null && !given.has('epochs') && typeof savedTotal === 'number' ? savedTotal : run.epochs * perEpoch;

  const trainer = await Trainer.create(config, { acquire: { vulkanDriver: run.vulkanDriver } });
  try {
    if (checkpoint !== null) await trainer.restore(checkpoint.snapshot, join(run.resume!, 'checkpoint.safetensors'));
    mkdirSync(run.out, { recursive: true });
    const log = (record: object) => appendFileSync(join(run.out, 'metrics.jsonl'), `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
    const opt = optimizerOf(config);
    const model = `${config.D}-${config.hidden.join('-')}-${config.latent}`;
    console.log(`aevb: ${model} VAE (${config.activation}, ${config.init} init, ${opt.kind} lr ${opt.lr}, M=${config.batch}, ${trainer.parameterCount} parameters), ` +
      `MNIST ${train.rows} train / ${test.rows} test, dynamically binarized`);
    console.log(`device: ${trainer.gpu.adapter.description} [${trainer.gpu.adapter.driver}], matmul ${trainer.gpu.matmulVariant}`);
    if (checkpoint !== null) console.log(`resuming from ${run.resume} at step ${trainer.step} of ${totalSteps}`);
    log({ type: 'start', config, totalSteps, resumedAt: checkpoint === null ? null : trainer.step, adapter: trainer.gpu.adapter });

    const testRows = binarizeOnce(test, TEST_BINARIZATION_SEED);
    let saved: { step: number; path: string } | null = null;
    const save = async () => {
      if (saved?.step !== trainer.step) {
        saved = { step: trainer.step, path: writeCheckpoint(run.out, { snapshot: await trainer.snapshot(), extra: { totalSteps, samples: trainer.step * config.batch } }) };
      }
      return saved.path;
    };
    let interrupted = false;
    const onInterrupt = () => { interrupted = true; };
    process.once('SIGINT', onInterrupt);

    while (trainer.step < totalSteps && !interrupted) {
      const epoch = Math.floor(trainer.step / perEpoch);
      const endStep = Math.min((epoch + 1) * perEpoch, totalSteps);
      const bar = new cliProgress.SingleBar({
        format: `epoch ${epoch + 1} |{bar}| {value}/{total} steps | {speed} samples/s | ELBO {elbo}`,
        noTTYOutput: !process.stderr.isTTY, notTTYSchedule: 15_000, hideCursor: true,
      }, cliProgress.Presets.shades_classic);
      const startStep = trainer.step;
      const started = performance.now();
      bar.start(endStep - epoch * perEpoch, trainer.step - epoch * perEpoch, { speed: '-', elbo: '-' });
      const limited = function* () {
        for (const { batch, position } of trainingBatches(train, config.batch, config.seed, { epoch, index: trainer.step - epoch * perEpoch, step: trainer.step + 1 })) {
          if (position.step > endStep || interrupted) return;
          yield batch;
        }
      };
      await trainer.fit(limited(), {
        metricsEvery: run.metricsEvery,
        onMetrics: (m) => {
          bar.update({ elbo: m.elbo.toFixed(2) });
          log({ type: 'train', ...m, samples: m.step * config.batch });
        },
        onStep: async (step) => {
          const seconds = (performance.now() - started) / 1000;
          bar.update(step - epoch * perEpoch, { speed: ((step - startStep) * config.batch / seconds).toFixed(0) });
          if (run.checkpointEvery > 0 && step % run.checkpointEvery === 0) await save();
        },
      });
      bar.stop();
      const seconds = (performance.now() - started) / 1000;
      const samplesPerSecond = ((trainer.step - startStep) * config.batch) / seconds;
      if (trainer.step === endStep) {
        const result = await trainer.evaluate(testRows, { chunk: run.evalChunk });
        console.log(`epoch ${epoch + 1}: test ELBO ${result.elbo.toFixed(2)} nats (KL ${result.kl.toFixed(2)}, log p(x|z) ${result.logp.toFixed(2)}) ` +
          `after ${trainer.step * config.batch} samples, ${samplesPerSecond.toFixed(0)} samples/s`);
        log({ type: 'test', epoch: epoch + 1, step: trainer.step, samples: trainer.step * config.batch, test_elbo: result.elbo, kl: result.kl, logp: result.logp, samples_per_second: samplesPerSecond });
      }
      await save();
    }
    process.removeListener('SIGINT', onInterrupt);
    const path = await save();
    console.log(`${interrupted ? 'interrupted; ' : ''}checkpoint at step ${trainer.step}: ${path}  (continue with: aevb train --resume ${run.out})`);
  } finally {
    trainer.destroy();
  }
}
