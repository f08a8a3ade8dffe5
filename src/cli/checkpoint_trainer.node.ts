// Node-only: a checkpoint's model (parameters only, no optimizer state), for the commands that only read a run.
import { join } from 'node:path';
import { readCheckpoint, CHECKPOINT_FILE, type Checkpoint } from '../io/checkpoint.node.ts';
import { Vae } from '../vae/vae.ts';
import { loadTestSet } from './data_setup.node.ts';
import type { DataFormat } from '../data/row_format.ts';
import { redactUrl } from '../data/redis/url.ts';
import type { DataDescription } from '../run/run_state.ts';

export async function modelFromCheckpoint(
  dir: string,
  vulkanDriver: string | undefined,
): Promise<{ model: Vae; checkpoint: Checkpoint }> {
  const checkpoint = readCheckpoint(dir);
  const model = await Vae.fromCheckpoint(checkpoint, { acquire: { vulkanDriver }, source: join(dir, CHECKPOINT_FILE) });
  return { model, checkpoint };
}

/**
 * The rows `eval` and `sample` read: `given` (their --data) if given, else the bundled MNIST's test set when the
 * run trained on MNIST — read and binarized the way the run read its data; null when the run trained on data of
 * its own and none is given. A checkpoint is data, not instructions: the paths and URLs stored in it are never
 * opened here (a checkpoint from someone else could name any local file or URL); only `aevb train --resume`
 * uses them, saying so first.
 */
export async function testSetOf(
  checkpoint: Checkpoint,
  given: string | undefined,
): Promise<{ values: Float32Array; D: number; name: string } | null> {
  const plan = checkpoint.run?.plan;
  const data = plan?.data ?? null;
  const path: string | null = given ?? null;
  if (path === null && data?.train) return null;
  const set = await loadTestSet(path, {
    // The stored format (checked against the formats when the checkpoint was read) and D describe rows, not places.
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

/** The --data flag of eval and sample, with --test-data, its old name, as an alias. */
export function dataFlagOf(o: { data?: string; testData?: string }): string | undefined {
  if (o.data !== undefined && o.testData !== undefined && o.data !== o.testData)
    throw new Error(
      `--data ${o.data} and --test-data ${o.testData} name the same setting (--test-data is --data's old name): give one`,
    );
  return o.data ?? o.testData;
}

/** Why `eval` or `sample` has no rows: the run trained on its own data, whose stored paths are not opened. */
export function noStoredDataMessage(dir: string, wanted: string): string {
  return (
    `${dir}: the run trained on data of its own; ${wanted} needs --data (the rows to use): the paths and URLs a ` +
    'checkpoint stores are never opened by eval, sample or encode, only by train --resume'
  );
}

/**
 * The line `aevb train --resume` prints before it opens the data paths and URLs its checkpoint stores (the one
 * command that uses them): which of them it will read, so that a checkpoint from elsewhere cannot make it read
 * a local file or fetch a URL unseen. `taken` lists the settings the command line did not give (data, testData,
 * validationData); null when it takes none.
 */
export function storedDataNotice(
  dir: string,
  data: DataDescription,
  taken: ReadonlySet<'data' | 'testData' | 'validationData'>,
): string | null {
  const parts = [
    taken.has('data') ? `training data ${data.train === null ? 'the bundled MNIST' : redactUrl(data.train)}` : null,
    taken.has('testData') && data.test !== null ? `test data ${redactUrl(data.test)}` : null,
    taken.has('validationData') && data.validation !== null ? `validation data ${redactUrl(data.validation)}` : null,
  ].filter((p) => p !== null);
  return parts.length === 0 ? null : `aevb: resuming ${dir} on the data its checkpoint names: ${parts.join('; ')}`;
}
