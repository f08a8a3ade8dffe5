// The `aevb` command as a user runs it, for the tests that spawn it: a real process of bin/aevb.js, its exit code
// and what it printed. One place for the path, the exit-code rule and the time limit.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** bin/aevb.js of this checkout (it runs the sources through tsx). */
export const AEVB_BIN = fileURLToPath(new URL('../bin/aevb.js', import.meta.url));

export interface AevbResult {
  /** The exit code (1 when the process was killed, by the time limit say). */
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `aevb ...args` to its end (or `timeoutMs`, then it is killed). */
export function runAevb(args: string[], timeoutMs: number): Promise<AevbResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [AEVB_BIN, ...args], { timeout: timeoutMs }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
