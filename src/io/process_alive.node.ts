// Node-only: whether a process on this host still runs — for files a process leaves behind (a lock, a
// temporary checkpoint) whose owner may be gone.

/** True when `pid` names a live process (one we may not signal counts: EPERM means it exists). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
