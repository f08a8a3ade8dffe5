// Node-only: the files aevb writes into an output folder besides checkpoints (config.json, PNGs, charts), and the
// one it appends to (metrics.jsonl: src/io/metrics_log.node.ts), written as a storage engine writes:
//
// - nothing is written through a symbolic link: a whole file goes to a fresh temporary file beside it (created
//   with O_EXCL, which never follows a link), fsynced, and renamed over the target (a rename replaces a link
//   planted at the target, never the file it points to); a file appended to is opened with O_NOFOLLOW;
// - every write can fail half-way: an error names the target's path and what failed, and the temporary file is
//   removed, so a full disk leaves the target as it was and nothing beside it.
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** Writes every byte of `bytes` at the current position of `fd`; a write that stores nothing fails. */
export function writeAllBytes(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) {
    const written = writeSync(fd, bytes, at, bytes.length - at);
    if (!(written > 0))
      throw Object.assign(new Error(`wrote ${at} of ${bytes.length} bytes, then a write stored nothing`), {
        code: 'ENOSPC',
      });
    at += written;
  }
}

/** A file of the output folder could not be written (or read back); `path` names it. Other errors are not the file's. */
export class OutputFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'OutputFileError';
  }
}

/** Why a file operation failed, in a few words: the errno code, with a hint for the common ones. */
export function reasonOf(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOSPC':
      return 'ENOSPC: the disk is full';
    case 'ELOOP':
      return 'ELOOP: it is a symbolic link, and aevb never writes through one';
    case 'EDQUOT':
      return 'EDQUOT: over the disk quota';
    default:
      return e.code ?? e.message;
  }
}

/**
 * Writes `data` to `path` atomically: a temporary file `path.tmp-PID` (a leftover of that name removed first,
 * then created with O_EXCL), fsynced and renamed over `path`. On failure throws naming `path`, the step and the
 * reason, with the temporary file removed and `path` as it was.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const temporary = `${path}.tmp-${process.pid}`;
  removeIfThere(temporary);
  let stage = `creating ${temporary}`;
  let fd: number | null = null;
  try {
    fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    stage = `writing ${temporary}`;
    writeAllBytes(fd, bytes);
    stage = `fsync of ${temporary}`;
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    stage = `renaming ${temporary} to ${path}`;
    renameSync(temporary, path);
  } catch (error) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // Closing is all that is left to try.
      }
    }
    if (!stage.startsWith('creating')) removeIfThere(temporary);
    throw new OutputFileError(
      path,
      `${path}: cannot write the file: ${stage} failed (${reasonOf(error)}); ${path} is unchanged`,
      error,
    );
  }
}

/**
 * `parent/name`, a folder aevb keeps inside an output folder (the early-stopping best/), made if it is missing
 * (`create`), never reached through a symbolic link: a link planted there — to a folder outside --out, say —
 * would have every later write follow it. Throws an OutputFileError naming the path when it is a link or not a
 * folder.
 */
export function ownSubfolder(parent: string, name: string, o: { create: boolean } = { create: true }): string {
  const path = join(parent, name);
  if (o.create) {
    try {
      // Not recursive: mkdir of an existing name fails (EEXIST) whatever it is, a link included, and never follows it.
      mkdirSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new OutputFileError(path, `${path}: cannot create the folder (${reasonOf(error)})`, error);
    }
  }
  let kind: string;
  try {
    const stats = lstatSync(path);
    if (stats.isDirectory()) return path;
    kind = stats.isSymbolicLink() ? 'a symbolic link' : 'not a folder';
  } catch (error) {
    if (!o.create && (error as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw new OutputFileError(path, `${path}: cannot read the folder (${reasonOf(error)})`, error);
  }
  throw new OutputFileError(
    path,
    `${path}: is ${kind}; aevb keeps its own folder there and never writes or reads through a link: remove it`,
  );
}

function removeIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Usually absent; a link is removed itself, never its target.
  }
}

/**
 * Runs an auxiliary write (pictures, a chart, config.json) that must not end a run whose checkpoint landed: an
 * OutputFileError is printed as a warning naming the file, and null is returned; any other error (the GPU's,
 * a bug) goes on.
 */
export async function auxiliaryWrite<T>(
  write: () => T | Promise<T>,
  warn: (message: string) => void = warnOnStderr,
): Promise<T | null> {
  try {
    return await write();
  } catch (error) {
    if (!(error instanceof OutputFileError)) throw error;
    warn(`${error.message}; the run goes on without it`);
    return null;
  }
}

export function warnOnStderr(message: string): void {
  process.stderr.write(`aevb: warning: ${message}\n`);
}
