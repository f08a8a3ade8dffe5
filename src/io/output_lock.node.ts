// Node-only: one run at a time in an output folder. The lock is a file holding the owner's PID, host, start time
// and a random nonce; a lock whose process is gone on this host is stale and taken over, with a note.
//
// Every step is atomic, so two processes can never both hold it:
// - a lock is created whole: written to a file of the taker's own, then hard-linked to .aevb.lock (link fails
//   if the name exists), so nobody ever reads a lock that is being filled;
// - a stale lock is taken over by one taker only: each taker that judges it stale tries to create a claim file
//   named after the stale lock's content (O_EXCL: one wins); the winner reads the lock again, renames its own
//   fresh lock over it if it still holds that content, and then removes the claim. A loser (or a winner that finds
//   the lock changed) starts again and meets the new owner. The nonce makes every lock's content unique, so a
//   claim never stands for another lock;
// - after taking it, the owner reads the lock back and checks it is its own.
import {
  closeSync,
  constants,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processIsAlive } from './process_alive.node.ts';

export const LOCK_FILE = '.aevb.lock';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
  nonce?: string;
}

/** A claim older than this whose taker is gone is reported (someone died mid-takeover), not waited for. */
const CLAIM_PATIENCE_MS = 10_000;

/** Takes the lock on `directory` (which must exist) or throws naming the run that holds it; returns the release. */
export function holdOutputLock(directory: string): () => void {
  const path = join(directory, LOCK_FILE);
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
  const mine = JSON.stringify(me);
  const fresh = `${path}.new-${process.pid}-${me.nonce}`;
  writeNew(fresh, mine, path);
  try {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        createLock(fresh, path, mine);
        return confirmed(path, mine, directory);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
          throw new Error(`${path}: cannot create the output folder's lock (${(error as NodeJS.ErrnoException).code})`);
      }
      const held = readLock(path);
      if (held === null) continue; // released meanwhile: try again
      const owner = ownerOf(held);
      if (owner !== null && (owner.host !== me.host || processIsAlive(owner.pid))) throw heldBy(owner, directory, path);
      // Stale: one claim per stale lock's content decides who replaces it.
      const claim = `${path}.claim-${createHash('sha256').update(held).digest('hex').slice(0, 16)}`;
      try {
        writeNew(claim, mine, path);
      } catch (error) {
        if (!(error instanceof ClaimTaken)) throw error;
        claimedBy(claim, directory);
        continue; // another taker has it: meet the lock it leaves
      }
      try {
        if (readLock(path) !== held) continue; // replaced or released since we read it
        console.error(`aevb: ${path}: taking over a stale lock${owner ? ` of PID ${owner.pid}, which is gone` : ''}`);
        renameSync(fresh, path);
        return confirmed(path, mine, directory);
      } finally {
        removeIfThere(claim);
      }
    }
    throw new Error(`${path}: cannot take the output folder's lock (it keeps changing hands)`);
  } finally {
    removeIfThere(fresh);
  }
}

/** The lock is ours (read back); the release removes it only while it still is. */
function confirmed(path: string, mine: string, directory: string): () => void {
  const held = readLock(path);
  if (held !== mine) {
    const owner = held === null ? null : ownerOf(held);
    throw owner === null
      ? new Error(`${path}: the output folder's lock changed hands while it was taken; try again`)
      : heldBy(owner, directory, path);
  }
  return () => {
    if (readLock(path) === mine) removeIfThere(path);
  };
}

function heldBy(owner: LockOwner, directory: string, path: string): Error {
  return new Error(
    `${directory}: another aevb run (PID ${owner.pid} on ${owner.host}, since ${owner.since}) is writing into this folder; ` +
      `wait for it, or choose another --out (delete ${path} if that run is gone)`,
  );
}

/**
 * Creates the lock whole: a hard link to our filled file (EEXIST when a lock is there). A file system without
 * hard links gets O_EXCL and a write instead (a reader may then meet an empty lock for a moment).
 */
function createLock(fresh: string, path: string, text: string): void {
  try {
    linkSync(fresh, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EMLINK') throw error;
    const fd = openSync(path, 'wx');
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  }
}

class ClaimTaken extends Error {}

/** Creates `file` holding `text` (O_EXCL: throws ClaimTaken if it exists). */
function writeNew(file: string, text: string, lock: string): void {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ClaimTaken(file);
    throw new Error(`${lock}: cannot create the output folder's lock (${(error as NodeJS.ErrnoException).code})`);
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** A claim that is still there: wait for it briefly; one left by a taker that died is reported. */
function claimedBy(claim: string, directory: string): void {
  let text: string;
  let age: number;
  try {
    text = readFileSync(claim, 'utf8');
    age = Date.now() - statSync(claim).mtimeMs;
  } catch {
    return; // gone already
  }
  const taker = ownerOf(text);
  if (age > CLAIM_PATIENCE_MS && (taker === null || !processIsAlive(taker.pid))) {
    throw new Error(
      `${directory}: a takeover of the folder's stale lock was left unfinished by a process that is gone; ` +
        `if no aevb run writes here, delete ${join(directory, LOCK_FILE)} and ${claim}`,
    );
  }
  const until = Date.now() + 5;
  while (Date.now() < until) {
    // A takeover takes microseconds: wait a few milliseconds before reading the lock again.
  }
}

/** The lock's text, or null when there is none. */
function readLock(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${path}: cannot read the output folder's lock (${(error as NodeJS.ErrnoException).code})`);
  }
}

/** The owner a lock's text names, or null when it names none (a lock written by hand, or cut short). */
function ownerOf(text: string): LockOwner | null {
  try {
    const owner = JSON.parse(text) as LockOwner;
    return Number.isSafeInteger(owner.pid) && typeof owner.host === 'string' ? owner : null;
  } catch {
    return null;
  }
}

function removeIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already.
  }
}
