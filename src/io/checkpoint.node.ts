// Node-only: a training checkpoint on disk — DIR/checkpoint.safetensors in the format of checkpoint_format.ts.
// It is written to a temporary file, flushed and renamed over the old one, so a crash at any moment leaves
// either the previous checkpoint or the new one, never a torn file.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint_format.ts';

export type { Checkpoint } from './checkpoint_format.ts';
export const CHECKPOINT_FILE = 'checkpoint.safetensors';

export function writeCheckpoint(directory: string, checkpoint: Checkpoint): string {
  mkdirSync(directory, { recursive: true });
  const bytes = encodeCheckpoint(checkpoint);
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
  return decodeCheckpoint(bytes, path);
}
