/**
 * The checkpoint format shared by the Node CLI and the browser page: a safetensors file whose tensors are the
 * parameters and optimizer state and whose metadata holds the config (JSON), the step and free-form extras
 * (JSON). Bytes in, bytes out: checkpoint.node.ts adds the atomic file writing.
 */
import { decodeSafetensors, encodeSafetensors } from './safetensors.ts';
import type { TrainerSnapshot } from '../train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../train/train_config.ts';

export const CHECKPOINT_FORMAT = 'aevb-checkpoint-1';

export interface Checkpoint {
  snapshot: TrainerSnapshot;
  /** Free-form facts the caller wants back on resume (e.g. the data position, the epoch). */
  extra: Record<string, unknown>;
}

export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  return encodeSafetensors({
    tensors: checkpoint.snapshot.tensors,
    metadata: {
      format: CHECKPOINT_FORMAT,
      config: JSON.stringify(checkpoint.snapshot.config),
      step: String(checkpoint.snapshot.step),
      extra: JSON.stringify(checkpoint.extra),
    },
  });
}

export function decodeCheckpoint(bytes: Uint8Array, source: string): Checkpoint {
  const file = decodeSafetensors(bytes, source);
  const m = file.metadata;
  if (m.format !== CHECKPOINT_FORMAT) throw new Error(`${source}: expected metadata format '${CHECKPOINT_FORMAT}', found '${m.format}': not an aevb checkpoint`);
  let config: TrainConfig;
  let extra: Record<string, unknown>;
  try {
    // Settings added after a checkpoint was written take their defaults.
    config = { ...DEFAULT_TRAIN_CONFIG, ...JSON.parse(m.config) };
    extra = JSON.parse(m.extra ?? '{}');
  } catch (error) {
    throw new Error(`${source}: the checkpoint's config metadata is not valid JSON (${(error as Error).message})`);
  }
  const step = Number(m.step);
  if (!Number.isInteger(step) || step < 0) throw new Error(`${source}: expected a step counter in the metadata, found '${m.step}'`);
  return { snapshot: { config, step, tensors: file.tensors }, extra };
}
