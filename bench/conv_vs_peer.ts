/**
 * The convolutional VAE, aevb against the PyTorch peer (issue 24): both train the peer's ConvVAE (conv 1→32→64,
 * 4×4 stride 2 padding 1, dense 256, Z = 20; the decoder mirrored with transposed convolutions; relu, Adam 1e-3,
 * M = 100, dynamic binarization) on MNIST.
 * - Speed: training samples/s at M = 100. aevb's through the library on minibatches already in memory, timed
 *   after warm-up steps (pipelines compiled) over --speed-steps steps, the GPU drained at both ends; the peer's
 *   train_sps (its training loop alone), run as its README says (bench/torch_peer.ts).
 * - Quality: test ELBO after every epoch (60 000 samples) and after --samples, aevb through its own CLI as a
 *   user runs it (aevb train --arch conv:32,64 --hidden 256 --latent 20), the peer evaluated at the same points;
 *   with --is-k K, the importance-sampled log p(x) of the first --is-points test points at the end (aevb eval).
 *   Different random streams: early in training the bound depends on the seed by several nats.
 *
 *   node --import tsx bench/conv_vs_peer.ts [--samples 6000] [--speed-steps 20] [--is-k 1000 --is-points 1000]
 *   (the targets: --samples 600000 --is-k 1000; at aevb's 77–140 samples/s on lavapipe, 1.2–2.2 hours)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Trainer } from '../src/train/trainer.ts';
import { mnistBatches } from './mnist_batches.ts';
import { peerBlas, peerUnavailable, runPeer } from './torch_peer.ts';

const { values } = parseArgs({
  options: {
    samples: { type: 'string' },
    'speed-steps': { type: 'string' },
    'is-k': { type: 'string' },
    'is-points': { type: 'string' },
  },
});
const SAMPLES = Number(values.samples ?? 6000);
const SPEED_STEPS = Number(values['speed-steps'] ?? 20);
const IS_K = Number(values['is-k'] ?? 0);
const IS_POINTS = Number(values['is-points'] ?? 1000);
const EPOCH = 60_000;
const WARM_UP_STEPS = 3;
const B = 100;
const MODEL = { arch: 'conv:32,64', hidden: [256], latent: 20 };

/** aevb's training samples/s at M = 100, steady state. */
async function aevbSpeed(): Promise<number> {
  const trainer = await Trainer.create({ D: 784, ...MODEL, batch: B, seed: 1 });
  try {
    const batches = await mnistBatches(B, WARM_UP_STEPS + SPEED_STEPS);
    for (const batch of batches.slice(0, WARM_UP_STEPS)) await trainer.enqueueStep(batch);
    await trainer.settle();
    const start = performance.now();
    for (const batch of batches.slice(WARM_UP_STEPS)) await trainer.enqueueStep(batch);
    await trainer.settle();
    return (SPEED_STEPS * B) / ((performance.now() - start) / 1000);
  } finally {
    trainer.destroy();
  }
}

/** aevb's test ELBO by samples (every epoch and at the end), through its CLI; with IS_K, its log p(x) at the end. */
function aevbQuality(samples: number): { elbo: Map<number, number>; logPx?: number } {
  const out = mkdtempSync(join(tmpdir(), 'aevb-conv-vs-peer-'));
  const bin = fileURLToPath(new URL('../bin/aevb.js', import.meta.url));
  try {
    const flags = ['--arch', MODEL.arch, '--hidden', MODEL.hidden.join(','), '--latent', String(MODEL.latent)];
    execFileSync(process.execPath, [bin, 'train', ...flags, '--samples', String(samples), '--out', out], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; samples: number; test_elbo: number });
    const elbo = new Map(records.filter((r) => r.type === 'test').map((r) => [r.samples, r.test_elbo]));
    if (IS_K === 0) return { elbo };
    const evaluation = execFileSync(
      process.execPath,
      [bin, 'eval', '--checkpoint', out, '--k', String(IS_K), '--points', String(IS_POINTS), '--json'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    return { elbo, logPx: (JSON.parse(evaluation.trim().split('\n').at(-1)!) as { log_px: number }).log_px };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const ourSpeed = await aevbSpeed();
console.log(
  `aevb conv: ${ourSpeed.toFixed(0)} samples/s (M = ${B}, ${SPEED_STEPS} steps after ${WARM_UP_STEPS} warm-up)`,
);
const ours = aevbQuality(SAMPLES);
const why = peerUnavailable();
const theirs = new Map<number, number>();
let theirSpeed: number | undefined;
let theirLogPx: number | undefined;
if (why === null) {
  console.log(`torch BLAS: ${peerBlas()}`);
  const records = await runPeer([
    '--arch',
    'conv',
    '--hidden',
    MODEL.hidden.join(','),
    '--latent',
    String(MODEL.latent),
    '--samples',
    String(SAMPLES),
    '--eval-every',
    String(Math.min(EPOCH, SAMPLES)),
    '--is-k',
    String(Math.max(IS_K, 1)),
    '--is-n',
    String(IS_K > 0 ? IS_POINTS : 100),
  ]);
  for (const r of records) {
    if (r.test_elbo !== undefined) theirs.set(r.samples, r.test_elbo);
    if (r.train_sps !== undefined) theirSpeed = r.train_sps;
    if (r.test_log_px_is !== undefined && IS_K > 0) theirLogPx = r.test_log_px_is;
  }
} else {
  console.log(`peer skipped: ${why}`);
}
const fixed = (v: number | undefined, digits: number) => (v === undefined ? 'n/a' : v.toFixed(digits));
console.log(
  `\nsamples/s at M = ${B}: aevb ${fixed(ourSpeed, 0)}, PyTorch ${fixed(theirSpeed, 0)}` +
    (theirSpeed === undefined ? '' : ` (aevb / PyTorch ${(ourSpeed / theirSpeed).toFixed(3)}×)`),
);
console.log('samples | aevb test ELBO | PyTorch test ELBO | aevb − PyTorch');
for (const [samples, elbo] of ours.elbo) {
  const peer = theirs.get(samples);
  console.log(
    `${String(samples).padStart(7)} | ${elbo.toFixed(2).padStart(14)} | ${fixed(peer, 2).padStart(17)} | ${peer === undefined ? 'n/a' : (elbo - peer).toFixed(2)}`,
  );
}
if (IS_K > 0)
  console.log(
    `IS log p(x), k = ${IS_K}, first ${IS_POINTS} test points, after ${SAMPLES}: aevb ${fixed(ours.logPx, 2)}, PyTorch ${fixed(theirLogPx, 2)}`,
  );
