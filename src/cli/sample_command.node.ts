// Node-only: `aevb sample` — the pictures of a trained checkpoint (reconstructions, prior samples, and for
// Z = 2 the latent manifold) as PNGs.
import { mkdirSync } from 'node:fs';
import { Command, Option } from 'commander';
import { integer } from './flag_parsers.node.ts';
import { writePictures } from './pictures.node.ts';
import { dataFlagOf, modelFromCheckpoint, noStoredDataMessage, testSetOf } from './checkpoint_trainer.node.ts';
import { holdOutputLock } from '../io/output_lock.node.ts';

export function sampleCommand(): Command {
  return new Command('sample')
    .description('Write reconstructions.png, samples.png and (Z = 2) manifold.png for a checkpoint.')
    .requiredOption('--checkpoint <dir>', 'the run folder holding checkpoint.safetensors')
    .option('--out <dir>', 'where the PNGs go (default: the checkpoint folder)')
    .option(
      '--data <path>',
      "images to reconstruct (default: the bundled MNIST's test set, for a run trained on it; formerly --test-data)",
    )
    .addOption(new Option('--test-data <path>', '--data by its old name').hideHelp())
    .option('--seed <n>', 'seed of the prior samples', integer('--seed', 0), 1)
    .option('--vulkan-driver <name>', 'auto | system | lavapipe | swiftshader | path to an ICD json')
    .action(async (o) => {
      // The PNGs go into a run's folder (by default the checkpoint's): one writer at a time, as `aevb train` holds it.
      const out = o.out ?? o.checkpoint;
      mkdirSync(out, { recursive: true });
      const unlock = holdOutputLock(out);
      try {
        const { model, checkpoint } = await modelFromCheckpoint(o.checkpoint, o.vulkanDriver);
        try {
          const test = (await testSetOf(checkpoint, dataFlagOf(o)))?.values ?? null;
          if (test === null) console.error(`aevb: ${noStoredDataMessage(o.checkpoint, 'reconstructions.png')}`);
          for (const path of await writePictures(model, out, test, o.seed)) console.log(`wrote ${path}`);
        } finally {
          model.destroy();
        }
      } finally {
        unlock();
      }
    });
}
