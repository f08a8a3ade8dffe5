/**
 * Model quality, aevb against the PyTorch peer: both train the default model (784-500-20, relu, Adam 1e-3,
 * M = 100, dynamic binarization) on MNIST for N epochs and report the test ELBO after every epoch (nats per
 * datapoint, test set binarized once with seed 12345 by both). aevb runs through its own CLI, exactly as a
 * user would; the two run one after the other. Different seeds and random streams, so expect a few tenths of
 * a nat of noise between them.
 *
 * Run:  node --import tsx bench/mnist_vs_peer.ts [--epochs N]     (default 10: ~15 min for aevb on lavapipe)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peerBlas, peerUnavailable, runPeer } from './torch_peer.ts';

const epochsFlag = process.argv.indexOf('--epochs');
const EPOCHS = epochsFlag > 0 ? Number(process.argv[epochsFlag + 1]) : 10;
const SAMPLES_PER_EPOCH = 60_000;

function aevbTestElbo(epochs: number): Map<number, number> {
  const out = mkdtempSync(join(tmpdir(), 'aevb-vs-peer-'));
  try {
    const bin = fileURLToPath(new URL('../bin/aevb.js', import.meta.url));
    execFileSync(process.execPath, [bin, 'train', '--epochs', String(epochs), '--out', out], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    return new Map(records.filter((r) => r.type === 'test').map((r) => [r.samples as number, r.test_elbo as number]));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const ours = aevbTestElbo(EPOCHS);
const why = peerUnavailable();
const theirs = new Map<number, number>();
if (why === null) {
  console.log(`torch BLAS: ${peerBlas()}`);
  const records = await runPeer([
    '--samples',
    String(EPOCHS * SAMPLES_PER_EPOCH),
    '--eval-every',
    String(SAMPLES_PER_EPOCH),
    '--is-k',
    '1',
    '--is-n',
    '100',
  ]);
  for (const r of records) if (r.test_elbo !== undefined) theirs.set(r.samples, r.test_elbo);
} else {
  console.log(`peer skipped: ${why}`);
}
console.log('\nsamples | aevb test ELBO | torch test ELBO | aevb − torch');
for (const [samples, elbo] of ours) {
  const peer = theirs.get(samples);
  console.log(
    `${String(samples).padStart(7)} | ${elbo.toFixed(2).padStart(14)} | ${(peer?.toFixed(2) ?? 'n/a').padStart(15)} | ${peer === undefined ? 'n/a' : (elbo - peer).toFixed(2)}`,
  );
}
