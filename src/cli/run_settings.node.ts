// Node-only: what the flags of `aevb train` and a checkpoint make of each other — the run's plan from the flags,
// and on --resume the checkpoint's model and plan, with the flags that may change them and the refusals of those
// that may not.
import { resolve } from 'node:path';
import type { Checkpoint } from '../io/checkpoint.node.ts';
import type { TrainConfig } from '../train/train_config.ts';
import type { RunPlan } from '../run/run_state.ts';
import { describeArch, type LayerList } from '../model/layer_specs.ts';
import { redactUrl } from '../data/redis/url.ts';
import { flagOf, type RunSettings } from './train_options.node.ts';
import { storedDataNotice } from './checkpoint_trainer.node.ts';

/** A data path or URL as written down (config.json, metrics.jsonl, checkpoints): never with a password. */
export const written = <T extends string | null>(path: T): T => (path === null ? path : redactUrl(path)) as T;

/** On --resume the checkpoint's config wins; a model flag given on the command line must agree with it. */
export function resumedConfig(
  config: TrainConfig,
  checkpoint: Checkpoint,
  given: Set<string>,
  directory: string,
): TrainConfig {
  const saved = checkpoint.snapshot.config;
  for (const flag of given) {
    const key = flag as keyof TrainConfig;
    if (key in saved && JSON.stringify(config[key]) !== JSON.stringify(saved[key])) {
      throw new Error(
        `--resume ${directory}: the checkpoint was trained with ${flagOf(flag)} ${flagText(saved[key])}, not ${flagText(config[key])}; ` +
          'a run can only be continued with its own model and optimizer (drop the flag, or start a new run with --out)',
      );
    }
  }
  return saved;
}

/** The run's plan as the flags give it: --samples wins over --epochs. */
export function planOf(run: RunSettings, batch: number): RunPlan {
  return {
    epochs: run.samples !== null ? null : run.epochs,
    steps: run.samples === null ? null : Math.ceil(run.samples / batch),
    checkpointEvery: run.checkpointEvery,
    shuffleWindow: run.shuffleWindow,
    binarize: run.binarize,
    data: {
      train: written(run.data),
      test: written(run.testData),
      format: run.format,
      dim: run.dim ?? null,
      validationSplit: run.validationSplit,
      validation: written(run.validationData),
    },
    earlyStopping: run.earlyStop === null ? null : { on: 'validation', patience: run.earlyStop, minDelta: 0 },
  };
}

/**
 * A resume continues the checkpoint's plan: its data, length and cadence. A flag given with --resume replaces
 * that part of the plan (--epochs or --samples: how long; --test-data; --checkpoint-every); one that would
 * change the minibatches is refused by the run itself.
 */
export function resumedSettings(run: RunSettings, saved: RunPlan, given: Set<string>): RunSettings {
  const merged: RunSettings = { ...run };
  const keep = <K extends keyof RunSettings>(key: K, value: RunSettings[K]) => {
    if (!given.has(key)) merged[key] = value;
  };
  keep('checkpointEvery', saved.checkpointEvery);
  keep('earlyStop', saved.earlyStopping?.patience ?? null);
  keep('restoreBest', saved.earlyStopping?.restoreBest === true);
  const sequence = {
    shuffleWindow: saved.shuffleWindow,
    binarize: saved.binarize,
    validationSplit: saved.data?.validationSplit ?? null,
  };
  for (const key of ['shuffleWindow', 'binarize', 'validationSplit'] as const) {
    if (given.has(key) && run[key] !== sequence[key]) {
      throw new Error(
        `--resume ${run.resume}: the run was streamed with ${flagOf(key)} ${sequence[key]}, not ${run[key]}; changing it would change the minibatches`,
      );
    }
    merged[key] = sequence[key] as never;
  }
  if (saved.data !== null) {
    refuseOtherData(run, saved.data.train, given);
    // A checkpoint is data: the paths and URLs it names are said before they are opened.
    const taken = new Set((['data', 'testData', 'validationData'] as const).filter((key) => !given.has(key)));
    const notice = storedDataNotice(run.resume!, saved.data, taken);
    if (notice !== null) console.error(notice);
    keep('data', saved.data.train);
    keep('testData', saved.data.test);
    keep('format', saved.data.format as RunSettings['format']);
    keep('dim', saved.data.dim ?? undefined);
    keep('validationData', saved.data.validation);
  }
  return merged;
}

/**
 * A resume trains on the checkpoint's data: --data naming other data is refused (it used to be taken silently,
 * continuing the run's position in another stream) unless --allow-other-data says the change is meant.
 */
function refuseOtherData(run: RunSettings, savedTrain: string | null, given: Set<string>): void {
  if (!given.has('data') || run.allowOtherData === true) return;
  const asked = written(run.data);
  const same =
    asked === savedTrain ||
    (asked !== null &&
      savedTrain !== null &&
      !isUrl(asked) &&
      !isUrl(savedTrain) &&
      resolve(asked) === resolve(savedTrain));
  if (same) return;
  throw new Error(
    `--resume ${run.resume}: the run was trained on ${savedTrain ?? 'the bundled MNIST'}, not --data ${asked}; ` +
      `drop --data to continue on the run's own data, or add --allow-other-data to continue on ${asked}`,
  );
}

export const isUrl = (path: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(path);

/** A config value as its flag would be written: lists comma-separated, a layer list as its layers. */
function flagText(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object' && value !== null) return describeArch(value as LayerList);
  return String(value);
}
