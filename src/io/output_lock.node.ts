// Node-only: one run at a time in an output folder. The lock is a file created atomically (O_EXCL) holding the
// owner's PID and host; a lock whose process is gone on this host is stale and taken over, with a note.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processIsAlive } from './process_alive.node.ts';

export const LOCK_FILE = '.aevb.lock';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

/** Takes the lock on `directory` (which must exist) or throws naming the run that holds it; returns the release. */
export function holdOutputLock(directory: string): () => void {
  const path = join(directory, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${path}: cannot create the output folder's lock (${(error as NodeJS.ErrnoException).code})`);
      let owner: LockOwner | null = null;
      try {
        owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
      } catch {
        // Unreadable: a writer died between creating and filling it; treat as stale.
      }
      if (owner !== null && (owner.host !== me.host || processIsAlive(owner.pid))) {
        throw new Error(`${directory}: another aevb run (PID ${owner.pid} on ${owner.host}, since ${owner.since}) is writing into this folder; ` +
          `wait for it, or choose another --out (delete ${path} if that run is gone)`);
      }
      console.error(`aevb: ${path}: taking over a stale lock${owner ? ` of PID ${owner.pid}, which is gone` : ''}`);
      rmSync(path, { force: true });
      continue;
    }
    writeSync(fd, JSON.stringify(me));
    closeSync(fd);
    return () => rmSync(path, { force: true });
  }
  throw new Error(`${path}: cannot take the output folder's lock`);
}
