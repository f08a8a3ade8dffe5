/**
 * The convolutional VAE, aevb against the PyTorch peer (issue 24): both train the peer's ConvVAE (conv 1→32→64,
 * 4×4 stride 2 padding 1, dense 256, Z = 20; the decoder mirrored with transposed convolutions; relu, Adam 1e-3,
 * M = 100, dynamic binarization) on MNIST.
 * - Speed: training samples/s at M = 100. aevb's through the library on minibatches already in memory, timed
 *   after warm-up steps (pipelines compiled) over --speed-steps steps, the GPU drained at both ends; the peer's
 *   train_sps (its training loop alone), run as its README says (bench/torch_peer.ts).
 * - Quality: test ELBO after --samples samples, aevb through its own CLI as a user runs it (aevb train --arch
 *   conv:32,64 --hidden 256 --latent 20), the peer with --eval-every the same. Different random streams: expect
 *   a few tenths of a nat of noise.
 *
 *   node --import tsx bench/conv_vs_peer.ts [--samples 6000] [--speed-steps 20]
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

const { values } = parseArgs({ options: { samples: { type: 'string' }, 'speed-steps': { type: 'string' } } });
const SAMPLES = Number(values.samples ?? 6000);
const SPEED_STEPS = Number(values['speed-steps'] ?? 20);
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

/** aevb's test ELBO after `samples` samples, through its CLI. */
function aevbTestElbo(samples: number): number {
  const out = mkdtempSync(join(tmpdir(), 'aevb-conv-vs-peer-'));
  try {
    const bin = fileURLToPath(new URL('../bin/aevb.js', import.meta.url));
    const flags = ['--arch', MODEL.arch, '--hidden', MODEL.hidden.join(','), '--latent', String(MODEL.latent)];
    execFileSync(process.execPath, [bin, 'train', ...flags, '--samples', String(samples), '--out', out], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; samples: number; test_elbo: number });
    const last = records.filter((r) => r.type === 'test').at(-1);
    if (last === undefined) throw new Error('aevb train wrote no test record');
    return last.test_elbo;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const ourSpeed = await aevbSpeed();
console.log(
  `aevb conv: ${ourSpeed.toFixed(0)} samples/s (M = ${B}, ${SPEED_STEPS} steps after ${WARM_UP_STEPS} warm-up)`,
);
const ourElbo = aevbTestElbo(SAMPLES);
console.log(`aevb conv: test ELBO ${ourElbo.toFixed(2)} after ${SAMPLES} samples`);
const why = peerUnavailable();
let peer: { sps?: number; elbo?: number } = {};
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
    String(SAMPLES),
    '--is-k',
    '1',
    '--is-n',
    '100',
  ]);
  const at = records.find((r) => r.samples === SAMPLES && r.test_elbo !== undefined);
  peer = { sps: at?.train_sps, elbo: at?.test_elbo };
} else {
  console.log(`peer skipped: ${why}`);
}
const fixed = (v: number | undefined, digits: number) => (v === undefined ? 'n/a' : v.toFixed(digits));
console.log('\n           | samples/s (M = 100) | test ELBO @' + SAMPLES);
console.log(`aevb       | ${fixed(ourSpeed, 0).padStart(19)} | ${fixed(ourElbo, 2)}`);
console.log(`PyTorch    | ${fixed(peer.sps, 0).padStart(19)} | ${fixed(peer.elbo, 2)}`);
if (peer.sps !== undefined) console.log(`aevb / PyTorch speed: ${(ourSpeed / peer.sps).toFixed(3)}×`);
