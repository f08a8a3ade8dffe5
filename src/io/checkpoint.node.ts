// Node-only: a training checkpoint on disk — DIR/checkpoint.safetensors holding every parameter, the optimizer
// state and, in its metadata, the config, the step counter and the position in the data. It is written to a
// temporary file, flushed and renamed over the old one, so a crash at any moment leaves either the previous
// checkpoint or the new one, never a torn file.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors } from './safetensors.ts';
import type { TrainerSnapshot } from '../train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../train/train_config.ts';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
const FORMAT = 'aevb-checkpoint-1';

export interface Checkpoint {
  snapshot: TrainerSnapshot;
  /** Free-form facts the caller wants back on resume (e.g. the data position, the epoch). */
  extra: Record<string, unknown>;
}

export function writeCheckpoint(directory: string, checkpoint: Checkpoint): string {
  mkdirSync(directory, { recursive: true });
  const bytes = encodeSafetensors({
    tensors: checkpoint.snapshot.tensors,
    metadata: {
      format: FORMAT,
      config: JSON.stringify(checkpoint.snapshot.config),
      step: String(checkpoint.snapshot.step),
      extra: JSON.stringify(checkpoint.extra),
    },
  });
  const path = join(directory, CHECKPOINT_FILE);
  const temporary = `${path}.tmp-${process.pid}`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  return path;
}

export function readCheckpoint(directory: string): Checkpoint {
  const path = join(directory, CHECKPOINT_FILE);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`${path}: cannot read the checkpoint (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const file = decodeSafetensors(bytes, path);
  const m = file.metadata;
  if (m.format !== FORMAT) throw new Error(`${path}: expected metadata format '${FORMAT}', found '${m.format}': not an aevb checkpoint`);
  let config: TrainConfig;
  let extra: Record<string, unknown>;
  try {
    // Settings added after a checkpoint was written take their defaults.
    config = { ...DEFAULT_TRAIN_CONFIG, ...JSON.parse(m.config) };
    extra = JSON.parse(m.extra ?? '{}');
  } catch (error) {
    throw new Error(`${path}: the checkpoint's config metadata is not valid JSON (${(error as Error).message})`);
  }
  const step = Number(m.step);
  if (!Number.isInteger(step) || step < 0) throw new Error(`${path}: expected a step counter in the metadata, found '${m.step}'`);
  return { snapshot: { config, step, tensors: file.tensors }, extra };
}
