/**
 * The checkpoint format shared by the Node CLI and the browser page: a safetensors file whose tensors are the
 * parameters and optimizer state and whose metadata holds the config (JSON), the step and free-form extras
 * (JSON). Bytes in, bytes out: checkpoint.node.ts adds the atomic file writing.
 *
 * The reader refuses anything it cannot trust, naming the file and what was expected: a malformed safetensors
 * layout (safetensors.ts), missing or mistyped metadata, a config whose fields have the wrong types or values,
 * and any NaN or ±Inf in a tensor — a checkpoint holding them would load wrong weights silently.
 */
import { decodeSafetensors, encodeSafetensors } from './safetensors.ts';
import type { TrainerSnapshot } from '../train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG, validateTrainConfig, type TrainConfig } from '../train/train_config.ts';

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
  const config = decodeConfig(m.config, source);
  let extra: Record<string, unknown>;
  try {
    extra = JSON.parse(m.extra ?? '{}');
  } catch (error) {
    throw new Error(`${source}: the checkpoint's extra metadata is not valid JSON (${(error as Error).message})`);
  }
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw new Error(`${source}: expected the checkpoint's extra metadata to be a JSON object, found ${m.extra}`);
  if (!/^(0|[1-9]\d{0,15})$/.test(m.step ?? '') || !Number.isSafeInteger(Number(m.step))) {
    throw new Error(`${source}: expected a step counter (a non-negative integer) in the metadata, found '${m.step}'`);
  }
  for (const t of file.tensors) {
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new Error(`${source}: tensor '${t.name}' holds ${t.data[bad]} at index ${bad}: expected finite values (the run diverged before this checkpoint was written; resume from an earlier one)`);
    }
  }
  return { snapshot: { config, step: Number(m.step), tensors: file.tensors }, extra };
}

/** The config metadata: a JSON object whose fields have the types of TrainConfig's and pass its validation. */
function decodeConfig(text: string | undefined, source: string): TrainConfig {
  const refuse = (what: string): never => {
    throw new Error(`${source}: the checkpoint's config metadata ${what}`);
  };
  if (text === undefined) refuse('is missing');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text!);
  } catch (error) {
    refuse(`is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return refuse(`should be a JSON object, found ${text!.slice(0, 80)}`);
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in DEFAULT_TRAIN_CONFIG)) continue; // a setting from a newer version: ignored as before
    const expected = DEFAULT_TRAIN_CONFIG[key as keyof TrainConfig];
    const ok = Array.isArray(expected) ? Array.isArray(value) && value.every((v) => typeof v === 'number')
      : key === 'lr' ? value === null || typeof value === 'number'
      : typeof value === typeof expected;
    if (!ok) refuse(`has ${key} = ${JSON.stringify(value)}: expected ${Array.isArray(expected) ? 'an array of numbers' : key === 'lr' ? 'a number or null' : `a ${typeof expected}`}`);
  }
  // Settings added after a checkpoint was written take their defaults.
  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...(parsed as Partial<TrainConfig>) };
  try {
    validateTrainConfig(config);
  } catch (error) {
    refuse(`is invalid: ${(error as Error).message.replace(/^aevb: /, '')}`);
  }
  return config;
}
