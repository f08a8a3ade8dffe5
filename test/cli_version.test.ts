// `aevb --version` prints the package's version and exits 0; progress written to a stderr that is not a
// terminal (a pipe, a log file) is whole lines, never carriage returns or cursor escapes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function node(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', ...args],
      { cwd: root, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

test('aevb --version prints the version from package.json and exits 0', async () => {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  assert.match(version, /^\d+\.\d+\.\d+/);
  const { code, stdout, stderr } = await node('src/cli/aevb.node.ts', '--version');
  assert.is(code, 0, stderr);
  assert.is(stdout, `${version}\n`);
});

test('progress to a piped stderr: whole lines, no carriage return, no escape codes', async () => {
  // The training bar and the eval counter, driven as the commands drive them, with stderr a pipe.
  const script = `
    const { Progress, CountProgress } = await import('./src/cli/progress.node.ts');
    const bar = new Progress(0, 10, 0);
    for (let step = 1; step <= 10; step++) {
      bar.step({ type: 'step', step, epoch: 0, index: step - 1, samplesPerSecond: 1000, waitingForDataPercent: 10 });
      bar.metrics(-100 - step + 1);
    }
    bar.stop();
    const count = new CountProgress('log p(x)', 'points');
    for (let done = 100; done <= 1000; done += 100) count.update(done, 1000);
    count.end();
  `;
  const { code, stderr } = await node('--input-type=module', '-e', script);
  assert.is(code, 0, stderr);
  assert.not.ok(stderr.includes('\r'), `no carriage return in: ${JSON.stringify(stderr)}`);
  assert.not.ok(stderr.includes('\x1b'), `no escape code in: ${JSON.stringify(stderr)}`);
  const lines = stderr.split('\n');
  assert.ok(
    lines.some((l) => /^epoch 1 .*10\/10 steps .*ELBO -109\.00/.test(l)),
    `the bar's last state is a line: ${JSON.stringify(stderr)}`,
  );
  // The counter: its first update (nothing printed for 15 s before it) and the end, each once.
  assert.equal(
    lines.filter((l) => l.startsWith('log p(x)')),
    ['log p(x): 100/1000 points', 'log p(x): 1000/1000 points'],
  );
  assert.ok(stderr.endsWith('\n'));
});

test.run();
