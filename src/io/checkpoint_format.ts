/**
 * The checkpoint format shared by the Node CLI and the browser page: a safetensors file whose tensors are the
 * parameters and optimizer state and whose metadata holds the config (JSON), the step and the run state
 * (JSON, run/run_state.ts). Bytes in, bytes out: checkpoint.node.ts adds the atomic file writing.
 */
import { decodeSafetensors, encodeSafetensors } from './safetensors.ts';
import type { TrainerSnapshot } from '../train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../train/train_config.ts';
import { parseRunState, type RunState } from '../run/run_state.ts';

export const CHECKPOINT_FORMAT = 'aevb-checkpoint-1';

export interface Checkpoint {
  snapshot: TrainerSnapshot;
  /** Where the training run stood and its plan (null for a trainer saved outside a run). */
  run: RunState | null;
}

export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  return encodeSafetensors({
    tensors: checkpoint.snapshot.tensors,
    metadata: {
      format: CHECKPOINT_FORMAT,
      config: JSON.stringify(checkpoint.snapshot.config),
      step: String(checkpoint.snapshot.step),
      ...(checkpoint.run === null ? {} : { run: JSON.stringify(checkpoint.run) }),
    },
  });
}

export function decodeCheckpoint(bytes: Uint8Array, source: string): Checkpoint {
  const file = decodeSafetensors(bytes, source);
  const m = file.metadata;
  if (m.format !== CHECKPOINT_FORMAT) throw new Error(`${source}: expected metadata format '${CHECKPOINT_FORMAT}', found '${m.format}': not an aevb checkpoint`);
  let config: TrainConfig;
  let run: unknown;
  try {
    // Settings added after a checkpoint was written take their defaults.
    config = { ...DEFAULT_TRAIN_CONFIG, ...JSON.parse(m.config) };
    run = m.run === undefined ? null : JSON.parse(m.run);
  } catch (error) {
    throw new Error(`${source}: the checkpoint's config or run metadata is not valid JSON (${(error as Error).message})`);
  }
  const step = Number(m.step);
  if (!Number.isInteger(step) || step < 0) throw new Error(`${source}: expected a step counter in the metadata, found '${m.step}'`);
  const state = run === null ? null : parseRunState(run, source);
  if (state !== null && state.position.step !== step + 1) {
    throw new Error(`${source}: the run state continues at step ${state.position.step}, but the parameters are from step ${step}`);
  }
  return { snapshot: { config, step, tensors: file.tensors }, run: state };
}
