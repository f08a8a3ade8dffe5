/**
 * A bare model as bytes: its config and parameters in the checkpoint format (checkpoint_format.ts: safetensors,
 * checksummed), without optimizer state or run state — what is kept, shared or shipped once training is over,
 * as Keras's model.save() and tfjs's loadLayersModel() do. The file opens with `Vae.fromCheckpoint`, `aevb
 * eval` and `aevb sample` like any checkpoint, and `loadModel` opens a training checkpoint too (its optimizer
 * state is left aside). Platform-neutral: Node writes the bytes to a file, a page downloads them or keeps them
 * in IndexedDB (browser_storage.ts).
 *
 * These are functions of io/ rather than methods of Vae because the checkpoint format sits above the model in
 * the layer order (docs/architecture.md): it also holds a trainer's config and a run's state.
 *
 * @example
 * const bytes = await saveModel(trainer);            // or saveModel(vae)
 * const vae = await loadModel(bytes);                // parameters bit for bit, on a device of its own
 */
import { Vae, type VaeOptions } from '../vae/vae.ts';
import { Trainer } from '../train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../train/train_config.ts';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint_format.ts';

/**
 * The model's config and parameters as checkpoint bytes. From a Trainer: its whole training config and step
 * (a later reader sees how the model was trained); from a Vae: its model config, with the training config's
 * defaults for the rest, and step 0.
 */
export async function saveModel(model: Vae | Trainer): Promise<Uint8Array> {
  const vae = model instanceof Trainer ? model.model : model;
  if (model instanceof Trainer) await model.settle(); // the parameters of every step queued
  const config: TrainConfig =
    model instanceof Trainer ? model.config : { ...DEFAULT_TRAIN_CONFIG, ...definedFields(vae.config) };
  const step = model instanceof Trainer ? model.step : 0;
  const tensors = await vae.parameters();
  return encodeCheckpoint({ snapshot: { config, step, tensors }, run: null });
}

/**
 * The model in `bytes` (saveModel's, or any checkpoint's), on `options.gpu` or a device of its own. `source`
 * names the bytes in errors (a file name, a storage key); a corrupt or foreign file is refused, naming it.
 */
export function loadModel(bytes: Uint8Array, options: VaeOptions & { source?: string } = {}): Promise<Vae> {
  const source = options.source ?? 'model bytes';
  return Vae.fromCheckpoint(decodeCheckpoint(bytes, source), { ...options, source });
}

/** The fields of `config` that are set (an absent optional field takes the training config's default). */
function definedFields<T extends object>(config: T): Partial<T> {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as Partial<T>;
}
