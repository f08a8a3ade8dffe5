/**
 * PyTorch interoperability of the conv VAE (issue 24): an aevb conv:32,64 model (hidden 256, Z 20), trained a
 * little on MNIST so its pixels are decided, decodes the same latents as the PyTorch peer's ConvVAE holding the
 * same parameters (mapped by bench/torch_conv.py, the table of docs/convolutional.md); prints how many
 * binarized pixels (mean > ½) differ — expected 0 — and the largest difference of the means. Exits 1 on any
 * differing pixel. Needs python3 with torch (not in CI, so this is a bench, not a test suite).
 *
 *   node --import tsx bench/conv_torch_interop.ts [--steps 100] [--latents 200]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Trainer } from '../src/train/trainer.ts';
import { encodeSafetensors } from '../src/io/safetensors.ts';
import { priorLatents } from '../src/eval/pictures.ts';
import { mnistBatches } from './mnist_batches.ts';
import { PEER_SCRIPT, peerUnavailable } from './torch_peer.ts';

const { values } = parseArgs({ options: { steps: { type: 'string' }, latents: { type: 'string' } } });
const steps = Number(values.steps ?? 100);
const n = Number(values.latents ?? 200);
const missing = peerUnavailable();
if (missing !== null) {
  console.error(`conv_torch_interop: ${missing}`);
  process.exit(2);
}
const [C1, C2, H, Z] = [32, 64, 256, 20];
const trainer = await Trainer.create({ D: 784, arch: `conv:${C1},${C2}`, hidden: [H], latent: Z, batch: 100, seed: 1 });
const dir = mkdtempSync(join(tmpdir(), 'aevb-conv-torch-'));
try {
  for (const batch of await mnistBatches(100, steps)) await trainer.enqueueStep(batch);
  await trainer.settle();
  const z = priorLatents(Z, n, 7);
  const ours = await trainer.model.decode(z);
  const tensors = [...(await trainer.model.parameters()), { name: 'z', shape: [n, Z], data: z }];
  const metadata = { hidden: String(H), latent: String(Z), c1: String(C1), c2: String(C2) };
  writeFileSync(join(dir, 'in.safetensors'), encodeSafetensors({ tensors, metadata }));
  const script = join(dirname(fileURLToPath(import.meta.url)), 'torch_conv.py');
  execFileSync(
    '/usr/bin/python3',
    [script, 'decode', dirname(PEER_SCRIPT), join(dir, 'in.safetensors'), join(dir, 'out.f32')],
    {
      stdio: 'inherit',
    },
  );
  const bytes = readFileSync(join(dir, 'out.f32'));
  const theirs = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  if (theirs.length !== ours.length) throw new Error(`torch decoded ${theirs.length} values, aevb ${ours.length}`);
  let differing = 0;
  let largest = 0;
  let undecided = 0;
  for (let i = 0; i < ours.length; i++) {
    if (ours[i] > 0.5 !== theirs[i] > 0.5) differing++;
    largest = Math.max(largest, Math.abs(ours[i] - theirs[i]));
    if (Math.abs(ours[i] - 0.5) < 1e-3) undecided++;
  }
  console.log(
    `conv:${C1},${C2} hidden ${H} Z ${Z} after ${steps} steps: ${n} latents × 784 pixels decoded by aevb and by the PyTorch peer's ConvVAE: ` +
      `${differing} binarized pixels differ; largest |Δ mean| ${largest.toExponential(2)}; pixels within 1e-3 of ½: ${undecided}`,
  );
  process.exitCode = differing === 0 ? 0 : 1;
} finally {
  trainer.destroy();
  rmSync(dir, { recursive: true, force: true });
}
