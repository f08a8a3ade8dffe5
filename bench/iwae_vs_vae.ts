/**
 * The IWAE objective against the ELBO on the same budget of data: two models (784-200-20 by default) trained
 * for the same number of epochs through aevb's CLI — one on the ELBO (L = 1), one on the importance-weighted
 * bound with k = 5 (Burda et al.) — then both scored by `aevb eval`: importance-sampled log p(x) (k = 1000) on
 * the first test points, the test ELBO, and active units. IWAE should give the higher log p(x).
 *
 * Run:  node --import tsx bench/iwae_vs_vae.ts [--epochs N] [--hidden H] [--points P]   (defaults 2, 200, 500)
 * IWAE's steps carry 5 samples per datapoint, so its training takes ~5× as long.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const flag = (name: string, fallback: string) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback;
const epochs = flag('--epochs', '2');
const hidden = flag('--hidden', '200');
const points = flag('--points', '500');
const bin = fileURLToPath(new URL('../bin/aevb.js', import.meta.url));
const base = mkdtempSync(join(tmpdir(), 'aevb-iwae-'));

function run(label: string, extra: string[]): Record<string, number> {
  const out = join(base, label);
  const started = performance.now();
  execFileSync(process.execPath, [bin, 'train', '--hidden', hidden, '--epochs', epochs, '--out', out, ...extra], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const trainSeconds = (performance.now() - started) / 1000;
  const json = execFileSync(
    process.execPath,
    [bin, 'eval', '--checkpoint', out, '--k', '1000', '--points', points, '--json'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return { ...JSON.parse(json.trim().split('\n').at(-1)!), train_seconds: trainSeconds };
}

try {
  const vae = run('elbo', []);
  const iwae = run('iwae', ['--objective', 'iwae', '--samples-per-point', '5']);
  console.log(`784-${hidden}-20, ${epochs} epochs each; log p(x) with k = 1000 on the first ${points} test points\n`);
  console.log('objective        | log p(x) | test ELBO | active units | training (s)');
  for (const [name, r] of [
    ['ELBO (L = 1)', vae],
    ['IWAE (k = 5)', iwae],
  ] as const) {
    console.log(
      `${name.padEnd(16)} | ${r.log_px.toFixed(2).padStart(8)} | ${r.test_elbo.toFixed(2).padStart(9)} | ${String(r.active_units).padStart(12)} | ${r.train_seconds.toFixed(0)}`,
    );
  }
  console.log(`\nIWAE − ELBO in log p(x): ${(iwae.log_px - vae.log_px).toFixed(2)} nats`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
