// Node-only: a checkpoint's model (parameters only, no optimizer state), for the commands that only read a run.
import { join } from 'node:path';
import { readCheckpoint, CHECKPOINT_FILE, type Checkpoint } from '../io/checkpoint.node.ts';
import { Vae } from '../vae/vae.ts';
import { loadTestSet } from './data_setup.node.ts';
import type { DataFormat } from '../data/row_format.ts';

export async function modelFromCheckpoint(
  dir: string,
  vulkanDriver: string | undefined,
): Promise<{ model: Vae; checkpoint: Checkpoint }> {
  const checkpoint = readCheckpoint(dir);
  const model = await Vae.fromCheckpoint(checkpoint, { acquire: { vulkanDriver }, source: join(dir, CHECKPOINT_FILE) });
  return { model, checkpoint };
}

/**
 * The test set a run was evaluated on — `override` if given, else the run's own --test-data, else the bundled
 * MNIST's — read and binarized the way the run read its data; null when the run trained on --data alone.
 */
export async function testSetOf(
  checkpoint: Checkpoint,
  override: string | undefined,
): Promise<{ values: Float32Array; D: number; name: string } | null> {
  const plan = checkpoint.run?.plan;
  const data = plan?.data ?? null;
  const path: string | null = override ?? data?.test ?? null;
  if (path === null && data?.train) return null;
  const set = await loadTestSet(path, {
    format: (data?.format ?? 'auto') as DataFormat,
    dim: data?.dim ?? undefined,
    binarize: plan?.binarize ?? true,
    dequantize: checkpoint.snapshot.config.dequantize === 'uniform',
  });
  const D = checkpoint.snapshot.config.D;
  if (set.D !== D)
    throw new Error(`${set.name}: test rows have ${set.D} values, but the checkpoint's model expects D = ${D}`);
  return set;
}
