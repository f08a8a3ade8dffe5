// One run at a time in an output folder (src/io/output_lock.node.ts through `aevb train`): a second run into the
// --out of a running one is refused, naming the first one's PID and host, and writes nothing there; the lock goes
// with the run (SIGTERM: exit 143, a checkpoint, no lock left); a lock left by a process that is gone is taken
// over with a note, by exactly one of many processes that try at once; a lock held from another host is never
// taken over; `aevb sample` into a folder a live run holds is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCK_FILE } from '../src/io/output_lock.node.ts';
import { METRICS_FILE } from '../src/cli/train_report.node.ts';
import { readCheckpoint } from '../src/io/checkpoint.node.ts';
import { AEVB_BIN, runAevb } from './cli_process.ts';

const bin = AEVB_BIN;
const TINY = ['--data', 'synthetic:2000x16', '--hidden', '8', '--latent', '2', '--batch', '20'];

const aevb = (args: string[]) => runAevb(['train', ...args], 90_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const takeLock = fileURLToPath(new URL('./fixtures/take_lock.ts', import.meta.url));

/** Runs `node --import tsx` on a fixture; resolves with its stdout. */
function child(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

/** A PID that belonged to a process that has ended. */
async function gonePid(): Promise<number> {
  const gone = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => gone.on('close', resolve));
  return gone.pid!;
}
const starts = (out: string) =>
  readFileSync(join(out, METRICS_FILE), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"start"')).length;

test('a second aevb train into the --out of a running one is refused naming its PID; SIGTERM then ends the first with 143', async () => {
  const out = mkdtempSync(join(tmpdir(), 'aevb-lock-'));
  try {
    const first = spawn(
      process.execPath,
      [bin, 'train', ...TINY, '--samples', '100000000', '--checkpoint-every', '50', '--out', out],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    first.stdout!.on('data', (d) => {
      stdout += d;
    });
    const exited = new Promise<number | null>((resolve) => first.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!(existsSync(join(out, METRICS_FILE)) && existsSync(join(out, 'checkpoint.safetensors')))) {
      if (Date.now() > deadline) throw new Error('the first run never started training');
      await sleep(20);
    }
    const second = await aevb([...TINY, '--epochs', '1', '--out', out]);
    assert.is(second.code, 1);
    assert.match(second.stderr, `another aevb run (PID ${first.pid} on ${hostname()}, since `);
    assert.match(second.stderr, 'is writing into this folder; wait for it, or choose another --out');
    assert.is(starts(out), 1, 'the refused run wrote nothing into the folder');
    first.kill('SIGTERM');
    assert.is(await exited, 143);
    assert.match(stdout, /interrupted; checkpoint at step (\d+)/);
    const step = Number(/interrupted; checkpoint at step (\d+)/.exec(stdout)![1]);
    assert.is(readCheckpoint(out).snapshot.step, step);
    assert.not.ok(existsSync(join(out, LOCK_FILE)), 'the lock went with the run');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("a lock left by a process that is gone is taken over with a note; another host's lock is never taken over", async () => {
  const out = mkdtempSync(join(tmpdir(), 'aevb-lock-'));
  try {
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.on('close', resolve));
    writeFileSync(
      join(out, LOCK_FILE),
      JSON.stringify({ pid: gone.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z' }),
    );
    const taken = await aevb([...TINY, '--samples', '200', '--out', out]);
    assert.is(taken.code, 0, taken.stderr);
    assert.match(taken.stderr, `taking over a stale lock of PID ${gone.pid}, which is gone`);
    assert.not.ok(existsSync(join(out, LOCK_FILE)));

    writeFileSync(
      join(out, LOCK_FILE),
      JSON.stringify({ pid: gone.pid, host: 'another-host.example', since: '2026-01-01T00:00:00.000Z' }),
    );
    const refused = await aevb([...TINY, '--samples', '200', '--out', out]);
    assert.is(refused.code, 1);
    assert.match(
      refused.stderr,
      `another aevb run (PID ${gone.pid} on another-host.example, since 2026-01-01T00:00:00.000Z)`,
    );
    assert.ok(existsSync(join(out, LOCK_FILE)), "the other host's lock is left alone");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a stale lock is taken over by exactly one of many processes trying at the same moment', async () => {
  const out = mkdtempSync(join(tmpdir(), 'aevb-lock-race-'));
  try {
    for (let round = 0; round < 3; round++) {
      writeFileSync(
        join(out, LOCK_FILE),
        JSON.stringify({ pid: await gonePid(), host: hostname(), since: '2026-01-01T00:00:00.000Z' }),
      );
      // Every child has loaded when the moment comes, and the winner holds the lock until every other has tried.
      const startAt = Date.now() + 4000;
      const results = await Promise.all(
        Array.from({ length: 6 }, () => child([takeLock, out, String(startAt), '4000'])),
      );
      const held = results.filter((r) => r.startsWith('held'));
      assert.is(held.length, 1, `round ${round}: ${results.join(' | ')}`);
      for (const r of results.filter((r) => !r.startsWith('held'))) assert.match(r, 'another aevb run (PID');
      assert.not.ok(existsSync(join(out, LOCK_FILE)), 'the winner released it');
      assert.equal(readdirSync(out), [], 'no claim or fresh lock file is left behind');
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('aevb sample into a folder a live run holds is refused, and writes nothing there', async () => {
  const out = mkdtempSync(join(tmpdir(), 'aevb-lock-sample-'));
  try {
    const lock = JSON.stringify({ pid: process.pid, host: hostname(), since: '2026-01-01T00:00:00.000Z' });
    writeFileSync(join(out, LOCK_FILE), lock);
    const sample = await runAevb(['sample', '--checkpoint', out], 90_000);
    assert.is(sample.code, 1);
    assert.match(sample.stderr, `another aevb run (PID ${process.pid} on ${hostname()}`);
    assert.equal(readdirSync(out), [LOCK_FILE]);
    assert.is(readFileSync(join(out, LOCK_FILE), 'utf8'), lock, "the live run's lock is left alone");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.run();
