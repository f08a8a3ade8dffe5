// The library's examples (docs/examples/*.ts, shown whole in docs/library.md and the README) run as a user runs them — `node` with tsx, importing
// 'aevb' (mapped to this repository's sources by tsconfig's paths) — in a fresh folder, in the README's order:
// train on MNIST (writes out/mnist), train on your own stream, encode with that checkpoint, then decode a grid.
// encode and latent_grid need train_mnist's checkpoint: they run it first when no test has (mnistCheckpoint).
// page.ts, redis_stream.ts and http_shards.ts are type-checked (npm run typecheck), not run: they need a page,
// a Redis server and an HTTP server; the demo's page example runs in Chromium (test/browser/demo.browser.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'aevb-examples-'));

function example(name: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), join(root, 'docs/examples', `${name}.ts`)],
      {
        cwd,
        env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tsconfig.json') },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** train_mnist's run, which writes the checkpoint out/mnist: once, started by the first test that needs it. */
let trained: ReturnType<typeof example> | undefined;
const trainMnist = () => (trained ??= example('train_mnist'));

/** Fails unless train_mnist has written its checkpoint (running it first when no test has yet). */
async function mnistCheckpoint(): Promise<void> {
  const { code, stderr } = await trainMnist();
  assert.is(code, 0, `train_mnist, which writes the checkpoint, failed: ${stderr}`);
}

test('train_mnist: progress lines, a rising test ELBO, a checkpoint', async () => {
  const { code, stdout, stderr } = await trainMnist();
  assert.is(code, 0, stderr);
  const tests = [...stdout.matchAll(/step (\d+): test ELBO (-?[\d.]+) nats/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.equal(
    tests.map(([step]) => step),
    [100, 200, 300],
  );
  assert.ok(tests[2][1] > tests[0][1] + 10, `the test ELBO rose: ${JSON.stringify(tests)}`);
  assert.match(stdout, /step 300: minibatch ELBO -\d+\.\d nats/);
  assert.ok(existsSync(join(cwd, 'out/mnist/checkpoint.safetensors')));
});

test('own_stream: 400 steps from a custom row source, the ELBO reported', async () => {
  const { code, stdout, stderr } = await example('own_stream');
  assert.is(code, 0, stderr);
  const reports = [...stdout.matchAll(/step (\d+): ELBO (-?[\d.]+)/g)];
  // Every 50 steps (the default metricsEvery), and at steps 1, 2, 4, … before the first of those.
  assert.equal(
    reports.map((m) => Number(m[1])),
    [1, 2, 4, 8, 16, 32, 50, 100, 150, 200, 250, 300, 350, 400],
  );
  const elbos = reports.map((m) => Number(m[2]));
  assert.ok(elbos.at(-1)! > elbos[0], `the ELBO rose: ${elbos.join(', ')}`);
});

test('encode: every test image encoded, streamed, and three in memory', async () => {
  await mnistCheckpoint();
  const { code, stdout, stderr } = await example('encode');
  assert.is(code, 0, stderr);
  assert.match(stdout, /z0: mean μ -?\d+\.\d+, variance of μ \d+\.\d+ over 10000 images/);
  assert.match(stdout, /z1: mean μ/);
  assert.is([...stdout.matchAll(/image \d: μ = \[-?\d+\.\d+, -?\d+\.\d+\], σ = \[\d+\.\d+, \d+\.\d+\]/g)].length, 3);
});

test('latent_grid: the checkpoint decodes into a 20 × 20 grid picture', async () => {
  await mnistCheckpoint();
  const { code, stdout, stderr } = await example('latent_grid');
  assert.is(code, 0, stderr);
  assert.match(stdout, 'decoded 400 latent points');
  const pgm = readFileSync(join(cwd, 'out/mnist/grid.pgm'));
  const header = /^P5 (\d+) (\d+) 255\n/.exec(pgm.subarray(0, 32).toString('latin1'))!;
  assert.ok(header !== null);
  assert.is(pgm.length, header[0].length + Number(header[1]) * Number(header[2]));
});

test.run();
