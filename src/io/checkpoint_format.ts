/**
 * The checkpoint format shared by the Node CLI and the browser page: a safetensors file whose tensors are the
 * parameters and optimizer state and whose metadata holds the config (JSON), the step, the run state
 * (JSON, run/run_state.ts) and a CRC-32 checksum of all of these, of the tensor table and of the data, so that a flipped bit
 * anywhere that matters is refused rather than loaded as different weights. Bytes in, bytes out:
 * checkpoint.node.ts adds the atomic file writing.
 *
 * The reader refuses anything it cannot trust, naming the file and what was expected: a malformed safetensors
 * layout (safetensors.ts), missing or mistyped metadata, a config whose fields have the wrong types or values,
 * and any NaN or ±Inf in a tensor — a checkpoint holding them would load wrong weights silently. A checkpoint
 * is data, not instructions: a run state is held to its own plan (no position beyond it, no format the reader
 * has no parser for), and format 1, which had no checksum, is held to every other check — it never carried a
 * run state, so one claiming that format with a run state is a newer file with its checksum taken off.
 */
import { crc32 } from './crc32.ts';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from './safetensors.ts';
import type { TrainerSnapshot } from '../train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG, validateTrainConfig, type TrainConfig } from '../train/train_config.ts';
import { parseRunState, type Checkpoint, type RunState } from '../run/run_state.ts';
import { DATA_FORMATS } from '../data/row_format.ts';

/** Written by this version: version 1 plus the checksum. */
export const CHECKPOINT_FORMAT = 'aevb-checkpoint-2';
/** Still read: the same without a checksum. */
const CHECKPOINT_FORMAT_1 = 'aevb-checkpoint-1';

export type { Checkpoint };

export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    config: JSON.stringify(checkpoint.snapshot.config),
    step: String(checkpoint.snapshot.step),
    ...(checkpoint.run === null ? {} : { run: JSON.stringify(checkpoint.run) }),
  };
  const checksum = checksumOf(metadata, checkpoint.snapshot.tensors);
  return encodeSafetensors({ tensors: checkpoint.snapshot.tensors, metadata: { ...metadata, checksum } });
}

/**
 * "crc32:" and 8 hex digits: the CRC-32 of the metadata fields, each tensor's name and shape in file order,
 * then each tensor's bytes. Computed from the decoded values, so it does not depend on the JSON's spacing.
 */
function checksumOf(m: Record<string, string>, tensors: SafeTensor[]): string {
  const described = JSON.stringify([m.format, m.config, m.step, m.run ?? null, tensors.map((t) => [t.name, t.shape])]);
  let crc = crc32(new TextEncoder().encode(described));
  for (const t of tensors) crc = crc32(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), crc);
  return `crc32:${crc.toString(16).padStart(8, '0')}`;
}

export function decodeCheckpoint(bytes: Uint8Array, source: string): Checkpoint {
  const file = decodeSafetensors(bytes, source);
  const m = file.metadata;
  if (m.format !== CHECKPOINT_FORMAT && m.format !== CHECKPOINT_FORMAT_1) {
    throw new Error(
      `${source}: expected metadata format '${CHECKPOINT_FORMAT}' (or '${CHECKPOINT_FORMAT_1}'), ` +
        `found ${m.format === undefined ? 'no format' : `'${m.format}'`}: not an aevb checkpoint`,
    );
  }
  if (m.format === CHECKPOINT_FORMAT || m.checksum !== undefined) {
    // Tensors come back in offset order, the order they were written and summed in.
    const expected = checksumOf(m, file.tensors);
    if (m.checksum !== expected) {
      throw new Error(
        `${source}: the checksum does not match: the metadata says ${m.checksum === undefined ? 'nothing' : `'${m.checksum}'`}, ` +
          `the contents sum to '${expected}': the file is corrupt (resume from another checkpoint)`,
      );
    }
  }
  if (m.format === CHECKPOINT_FORMAT_1 && m.checksum === undefined && m.run !== undefined)
    throw new Error(
      `${source}: the metadata says format '${CHECKPOINT_FORMAT_1}', which had no checksum and no run state, but this ` +
        `file holds a run state: a '${CHECKPOINT_FORMAT}' file with its checksum removed, or a damaged one; refusing it`,
    );
  const config = decodeConfig(m.config, source);
  let run: unknown = null;
  try {
    // Format 1 kept an untyped 'extra' instead, which nothing reads any more: such a checkpoint has no run state.
    if (m.run !== undefined) run = JSON.parse(m.run);
  } catch (error) {
    throw new Error(`${source}: the checkpoint's run metadata is not valid JSON (${(error as Error).message})`);
  }
  if (!/^(0|[1-9]\d{0,15})$/.test(m.step ?? '') || !Number.isSafeInteger(Number(m.step))) {
    throw new Error(`${source}: expected a step counter (a non-negative integer) in the metadata, found '${m.step}'`);
  }
  for (const t of file.tensors) {
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new Error(
        `${source}: tensor '${t.name}' holds ${t.data[bad]} at index ${bad}: expected finite ` +
          `values (the run diverged before this checkpoint was written; resume from an earlier one)`,
      );
    }
  }
  const step = Number(m.step);
  const state = run === null ? null : parseRunState(run, source);
  if (state !== null && state.position.step !== step + 1) {
    throw new Error(
      `${source}: the run state continues at step ${state.position.step}, but the parameters are from step ${step}`,
    );
  }
  if (state !== null) checkAgainstPlan(state, source);
  return { snapshot: { config, step, tensors: file.tensors }, run: state };
}

/**
 * What the run state can be checked against besides its types: a data format the reader has a parser for, and
 * a position inside its own plan — a position past it trained nothing and exited 0, a silent no-op.
 */
function checkAgainstPlan(state: RunState, source: string): void {
  const refuse = (what: string): never => {
    throw new Error(`${source}: the checkpoint's run state ${what}; refusing it (a damaged or edited checkpoint)`);
  };
  const { position, plan } = state;
  const format = plan.data?.format;
  if (format !== undefined && !(DATA_FORMATS as readonly string[]).includes(format))
    refuse(`has plan.data.format = ${JSON.stringify(format)}; expected one of ${DATA_FORMATS.join(', ')}`);
  if (plan.epochs !== null && position.epoch > plan.epochs)
    refuse(`is at position.epoch = ${position.epoch}, beyond the plan's ${plan.epochs} epochs`);
  // Every epoch takes at least one step (one that produced none is an error), so the epochs done are at most the steps done.
  if (position.epoch > position.step - 1)
    refuse(`is at position.epoch = ${position.epoch} after only ${position.step - 1} steps`);
  if (plan.steps !== null && position.step - 1 > plan.steps)
    refuse(`is at step ${position.step}, beyond the plan's ${plan.steps} steps`);
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
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return refuse(`should be a JSON object, found ${text!.slice(0, 80)}`);
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in DEFAULT_TRAIN_CONFIG)) continue; // a setting from a newer version: ignored as before
    const expected = DEFAULT_TRAIN_CONFIG[key as keyof TrainConfig];
    const ok = Array.isArray(expected)
      ? Array.isArray(value) && value.every((v) => typeof v === 'number')
      : key === 'lr'
        ? value === null || typeof value === 'number'
        : key === 'arch' // a short form or a layer list: validateTrainConfig checks either
          ? typeof value === 'string' || (typeof value === 'object' && value !== null)
          : typeof value === typeof expected;
    if (!ok)
      refuse(
        `has ${key} = ${JSON.stringify(value)}: expected ` +
          `${Array.isArray(expected) ? 'an array of numbers' : key === 'lr' ? 'a number or null' : `a ${typeof expected}`}`,
      );
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
