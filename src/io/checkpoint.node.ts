// Node-only: a training checkpoint on disk — DIR/checkpoint.safetensors in the format of checkpoint_format.ts,
// with the one before it kept as DIR/checkpoint.prev.safetensors.
//
// Writing assumes every write can fail half-way (a full disk, a kill): the bytes go to a temporary file, every
// one of them or an error (a short write is retried, a write that makes no progress fails); the file is
// fsynced, read back and compared byte for byte, and decoded as the reader will; only then is the current
// checkpoint hard-linked to checkpoint.prev and the temporary file renamed over it, and the directory fsynced.
// At every moment DIR holds a complete, verified checkpoint. An error names the path and the step that failed,
// and removes the temporary file.
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint_format.ts';
import { processIsAlive } from './process_alive.node.ts';

export type { Checkpoint } from './checkpoint_format.ts';
export const CHECKPOINT_FILE = 'checkpoint.safetensors';
/** The checkpoint before the newest, kept so a torn or corrupt newest one loses one interval, not the run. */
export const PREVIOUS_CHECKPOINT_FILE = 'checkpoint.prev.safetensors';
const TEMPORARY_PREFIX = `${CHECKPOINT_FILE}.tmp-`;

/**
 * The file system calls the writer makes (node:fs's, as the writer calls them): replace some (writeSync, say) to
 * inject faults in tests. Stated here rather than picked from node:fs, so the published types need no @types/node.
 */
export interface CheckpointFs {
  mkdirSync(path: string, options: { recursive: true }): unknown;
  openSync(path: string, flags: string): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  readFileSync(path: string): Uint8Array;
  renameSync(from: string, to: string): void;
  linkSync(existing: string, link: string): void;
  unlinkSync(path: string): void;
  readdirSync(path: string): string[];
  copyFileSync(from: string, to: string): void;
}

export interface WriteCheckpointOptions {
  /** Overrides of the file system calls (default: node:fs). */
  fs?: Partial<CheckpointFs>;
}

/** Writes `checkpoint` as DIR/checkpoint.safetensors (see above); returns its path, or throws leaving DIR as it was. */
export function writeCheckpoint(
  directory: string,
  checkpoint: Checkpoint,
  options: WriteCheckpointOptions = {},
): string {
  const fs: CheckpointFs = { ...(nodeFs as CheckpointFs), ...options.fs };
  const path = join(directory, CHECKPOINT_FILE);
  const previous = join(directory, PREVIOUS_CHECKPOINT_FILE);
  const temporary = join(directory, `${TEMPORARY_PREFIX}${process.pid}`);
  const fail = (step: string, error: unknown): never => {
    const e = error as NodeJS.ErrnoException;
    const why = e.code === 'ENOSPC' ? `${e.message} (is the disk full?)` : e.message;
    throw new Error(
      `${path}: cannot write the checkpoint: ${step} failed: ${why}; the previous checkpoint is unchanged`,
      { cause: error },
    );
  };
  try {
    fs.mkdirSync(directory, { recursive: true });
  } catch (error) {
    fail(`creating the directory ${directory}`, error);
  }
  removeStaleTemporaries(fs, directory);
  for (const t of checkpoint.snapshot.tensors) {
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new Error(
        `${path}: refusing to write a checkpoint at step ${checkpoint.snapshot.step} whose tensor ` +
          `'${t.name}' holds ${t.data[bad]} at index ${bad}; the previous checkpoint is unchanged`,
      );
    }
  }
  const bytes = encodeCheckpoint(checkpoint);
  let stage = `creating ${temporary}`;
  try {
    // A leftover of this name (a link planted in the folder, say) is removed, and 'wx' (O_EXCL) never follows a link.
    try {
      fs.unlinkSync(temporary);
    } catch {
      // Usually absent.
    }
    const fd = fs.openSync(temporary, 'wx');
    try {
      stage = `writing ${temporary}`;
      writeAll(fs, fd, bytes);
      stage = `fsync of ${temporary}`;
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    stage = `verifying ${temporary}`;
    verify(fs.readFileSync(temporary), bytes, temporary);
    stage = `keeping the previous checkpoint as ${previous}`;
    keepPrevious(fs, path, previous);
    stage = `renaming ${temporary} to ${path}`;
    fs.renameSync(temporary, path);
  } catch (error) {
    try {
      fs.unlinkSync(temporary);
    } catch {
      // It may never have been created; nothing else can be done here.
    }
    fail(stage, error);
  }
  // Makes the renames themselves durable; a file system that cannot fsync a directory has nothing more to do.
  syncDirectory(fs, directory);
  return path;
}

/** Writes every byte of `bytes` at the start of `fd`, retrying short writes; a write that makes no progress fails. */
function writeAll(fs: CheckpointFs, fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) {
    const written = fs.writeSync(fd, bytes, at, bytes.length - at, at);
    if (!(written > 0)) {
      throw Object.assign(new Error(`wrote ${at} of ${bytes.length} bytes, then a write stored nothing`), {
        code: 'ENOSPC',
      });
    }
    at += written;
  }
}

function verify(back: Uint8Array, bytes: Uint8Array, temporary: string): void {
  if (back.length !== bytes.length) throw new Error(`read back ${back.length} bytes, expected ${bytes.length}`);
  for (let i = 0; i < bytes.length; i++) {
    if (back[i] !== bytes[i]) throw new Error(`read back a different byte at offset ${i}`);
  }
  decodeCheckpoint(back, temporary); // what resuming will do, so a checkpoint that cannot be resumed is never kept
}

/** Links the current checkpoint (if any) as the previous one, atomically replacing the old previous one. */
function keepPrevious(fs: CheckpointFs, path: string, previous: string): void {
  const staging = `${previous}.tmp-${process.pid}`;
  try {
    fs.unlinkSync(staging);
  } catch {
    // Usually absent.
  }
  try {
    fs.linkSync(path, staging);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // the first checkpoint: nothing to keep
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'EMLINK') throw error;
    fs.copyFileSync(path, staging); // a file system without hard links
  }
  fs.renameSync(staging, previous);
}

function syncDirectory(fs: CheckpointFs, directory: string): void {
  let fd: number;
  try {
    fd = fs.openSync(directory, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EBADF')
      throw new Error(`${directory}: fsync of the checkpoint directory failed: ${(error as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes temporary files left by writers that were killed (their process is gone). */
function removeStaleTemporaries(fs: CheckpointFs, directory: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(directory) as string[];
  } catch {
    return;
  }
  for (const name of names) {
    const match = /^checkpoint\.(?:prev\.)?safetensors\.tmp-(\d+)$/.exec(name);
    if (match === null || Number(match[1]) === process.pid || processIsAlive(Number(match[1]))) continue;
    try {
      fs.unlinkSync(join(directory, name));
    } catch {
      // Another cleaner got there first.
    }
  }
}

/** A checkpoint read from DIR, with the file it came from. */
export interface LoadedCheckpoint extends Checkpoint {
  /** The file read: DIR/checkpoint.safetensors, or DIR/checkpoint.prev.safetensors after a fallback. */
  path: string;
  /** Why the newest checkpoint was passed over for the previous one; null when the newest was read. */
  fallback: string | null;
}

export interface ReadCheckpointOptions {
  /** Told when the newest checkpoint is refused and the previous one is read instead (default: stderr). */
  warn?: (message: string) => void;
}

/**
 * Reads DIR/checkpoint.safetensors; if it is missing or refused and DIR/checkpoint.prev.safetensors is sound,
 * reads that instead and says so through `warn`. Throws naming both files when neither can be read.
 */
export function readCheckpoint(directory: string, options: ReadCheckpointOptions = {}): LoadedCheckpoint {
  const path = join(directory, CHECKPOINT_FILE);
  const previous = join(directory, PREVIOUS_CHECKPOINT_FILE);
  let newestError: Error;
  try {
    return { ...readCheckpointFile(path), path, fallback: null };
  } catch (error) {
    newestError = error as Error;
  }
  if (!nodeFs.existsSync(previous)) throw newestError;
  let older: Checkpoint;
  try {
    older = readCheckpointFile(previous);
  } catch (error) {
    throw new Error(
      `${newestError.message}; the previous checkpoint cannot be read either: ${(error as Error).message}`,
    );
  }
  const fallback = `${newestError.message}; reading the previous checkpoint ${previous} (step ${older.snapshot.step}) instead`;
  (options.warn ?? ((m: string) => process.stderr.write(`aevb: warning: ${m}\n`)))(fallback);
  return { ...older, path: previous, fallback };
}

/** Reads and validates one checkpoint file; refuses anything that is not a regular file before opening it. */
export function readCheckpointFile(path: string): Checkpoint {
  let bytes: Uint8Array;
  try {
    const stats = nodeFs.statSync(path);
    if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    bytes = nodeFs.readFileSync(path);
  } catch (error) {
    throw new Error(
      `${path}: cannot read the checkpoint (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return decodeCheckpoint(bytes, path);
}
