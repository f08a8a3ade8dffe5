/**
 * Training throughput, aevb against the PyTorch peer, same machine, same model (784-500-20, relu, Adam), same
 * data (MNIST, dynamic binarization), at M = 100 and M = 1000, in one run, as a ratio. Prints which WebGPU
 * adapter aevb ran on and which BLAS torch got. The two never run at the same time.
 *
 * Run:  node --import tsx bench/peer_speed.ts [--steps N] [--rounds R]
 *   N: aevb steps at M = 100 (M = 1000 runs a third of the samples); default 300.
 *   R: runs of each side per batch size, alternating (the peer is noisy on a shared box); the medians are
 *      compared; default 3.
 * Numbers are for comparison within one run on one machine (shared, noisy); never used as test assertions.
 */
import { mnistBatches } from './mnist_batches.ts';
import { Trainer } from '../src/train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/train/train_config.ts';
import { peerBlas, peerUnavailable, runPeer } from './torch_peer.ts';

const stepsFlag = process.argv.indexOf('--steps');
const STEPS_AT_100 = stepsFlag > 0 ? Number(process.argv[stepsFlag + 1]) : 300;
const roundsFlag = process.argv.indexOf('--rounds');
/** Runs of each side per batch size, alternating; the medians are compared. */
const ROUNDS = roundsFlag > 0 ? Number(process.argv[roundsFlag + 1]) : 3;

/** aevb samples/s over `steps` steps after a warm-up of 5 (pipeline creation, first-touch of buffers). */
async function aevbSamplesPerSecond(batch: number, steps: number): Promise<{ sps: number; adapter: string }> {
  const batches = await mnistBatches(batch, 5 + steps);
  const trainer = await Trainer.create({ ...DEFAULT_TRAIN_CONFIG, batch });
  try {
    await trainer.trainOn(batches.slice(0, 5));
    const started = performance.now();
    await trainer.trainOn(batches.slice(5));
    const seconds = (performance.now() - started) / 1000;
    return {
      sps: (steps * batch) / seconds,
      adapter: `${trainer.gpu.adapter.description} [${trainer.gpu.adapter.driver}]`,
    };
  } finally {
    trainer.destroy();
  }
}

async function peerSamplesPerSecond(batch: number, samples: number): Promise<number> {
  // One evaluation at the end only, and a trivial importance-sampling tail: we want the training rate.
  const records = await runPeer([
    '--batch',
    String(batch),
    '--samples',
    String(samples),
    '--eval-every',
    String(samples),
    '--is-k',
    '1',
    '--is-n',
    '100',
  ]);
  const rate = records.find((r) => r.train_sps !== undefined)?.train_sps;
  if (rate === undefined) throw new Error('the peer printed no train_sps');
  return rate;
}

const why = peerUnavailable();
console.log(`torch BLAS: ${why ?? peerBlas()}`);
console.log(
  `batch | aevb samples/s | torch samples/s | aevb / torch   (${ROUNDS} alternating rounds each, then their medians)`,
);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const line = (label: string, ours: number, theirs: number) =>
  `${label.padStart(5)} | ${ours.toFixed(0).padStart(14)} | ${(why ? 'n/a' : theirs.toFixed(0)).padStart(15)} | ${why ? 'n/a' : (ours / theirs).toFixed(3)}`;
for (const batch of [100, 1000]) {
  const steps = Math.max(10, Math.round((STEPS_AT_100 * 100) / batch / 3));
  const [ourRates, theirRates]: [number[], number[]] = [[], []];
  // The peer is noisy on a shared box: the two sides alternate, and the medians are compared.
  for (let round = 0; round < ROUNDS; round++) {
    const ours = await aevbSamplesPerSecond(batch, batch === 100 ? STEPS_AT_100 : steps);
    if (batch === 100 && round === 0) console.log(`aevb adapter: ${ours.adapter}`);
    const theirs = why === null ? await peerSamplesPerSecond(batch, batch === 100 ? 30_000 : 60_000) : NaN;
    ourRates.push(ours.sps);
    theirRates.push(theirs);
    console.log(line(`  (${round + 1})`, ours.sps, theirs));
  }
  console.log(line(String(batch), median(ourRates), median(theirRates)));
}
