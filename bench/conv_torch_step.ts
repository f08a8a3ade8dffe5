/**
 * One training step of the conv VAE at the PyTorch peer's size (conv:32,64, hidden 256, Z = 20, B = 100), aevb
 * against PyTorch: from the same parameters (aevb's PyTorch-style initialisation, mapped into the peer's ConvVAE
 * by bench/torch_conv.py), the same binarized MNIST minibatch and the same ε, the minibatch ELBO and ∂loss/∂θ of
 * every tensor. PyTorch applies aevb's soft bound on the encoder's log σ² so both compute the same function.
 * Prints each tensor's largest difference relative to its largest gradient; exits 1 when one exceeds 1e-4 or
 * the ELBOs differ by more than 1e-3 nats. Needs python3 with torch (so a bench, not a CI suite).
 *
 *   node --import tsx bench/conv_torch_step.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Vae } from '../src/vae/vae.ts';
import { SgvbStep } from '../src/train/sgvb_step.ts';
import { DEFAULT_OPTIMIZERS } from '../src/train/optimizer_config.ts';
import { ELBO_METRICS } from '../src/kernels/elbo_mean.ts';
import { readFloat32 } from '../src/gpu/buffers.ts';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.ts';
import { priorLatents } from '../src/eval/pictures.ts';
import { mnistBatches } from './mnist_batches.ts';
import { PEER_SCRIPT, peerUnavailable } from './torch_peer.ts';

const missing = peerUnavailable();
if (missing !== null) {
  console.error(`conv_torch_step: ${missing}`);
  process.exit(2);
}
const [C1, C2, H, Z, B] = [32, 64, 256, 20, 100];
const vae = await Vae.create({
  D: 784,
  arch: `conv:${C1},${C2}`,
  hidden: [H],
  latent: Z,
  activation: 'relu',
  init: 'pytorch',
  seed: 1,
});
const step = new SgvbStep(vae, { B, optimizer: DEFAULT_OPTIMIZERS.sgd, seed: 1, noise: 'fixed' });
const dir = mkdtempSync(join(tmpdir(), 'aevb-conv-torch-step-'));
try {
  const [x] = await mnistBatches(B, 1);
  const eps = priorLatents(Z, B, 3);
  const params = await vae.parameters();
  vae.gpu.device.queue.writeBuffer(step.forward.eps, 0, eps);
  step.submit(x);
  const grads = await readFloat32(vae.gpu, { buffer: step.grads }, vae.layout.P);
  const ourElbo = (await readFloat32(vae.gpu, { buffer: step.metrics }, ELBO_METRICS.count))[ELBO_METRICS.elbo];
  const tensors = [...params, { name: 'x', shape: [B, 784], data: x }, { name: 'eps', shape: [B, Z], data: eps }];
  const metadata = { hidden: String(H), latent: String(Z), c1: String(C1), c2: String(C2) };
  writeFileSync(join(dir, 'in.safetensors'), encodeSafetensors({ tensors, metadata }));
  const script = join(dirname(fileURLToPath(import.meta.url)), 'torch_conv.py');
  execFileSync(
    '/usr/bin/python3',
    [script, 'step', dirname(PEER_SCRIPT), join(dir, 'in.safetensors'), join(dir, 'out.safetensors')],
    {
      stdio: 'inherit',
    },
  );
  const theirs = new Map(
    decodeSafetensors(readFileSync(join(dir, 'out.safetensors')), 'torch').tensors.map((t) => [t.name, t]),
  );
  const theirElbo = theirs.get('elbo')!.data[0];
  let worst = 0;
  console.log(`minibatch ELBO: aevb ${ourElbo.toFixed(4)}, PyTorch ${theirElbo.toFixed(4)}`);
  for (const e of vae.layout.entries) {
    const t = theirs.get(e.name);
    if (t === undefined || t.shape.join('x') !== e.shape.join('x'))
      throw new Error(`torch gave ${e.name} as ${t?.shape.join('x') ?? 'nothing'}, aevb has ${e.shape.join('x')}`);
    let largest = 0;
    let diff = 0;
    for (let i = 0; i < e.size; i++) {
      largest = Math.max(largest, Math.abs(t.data[i]));
      diff = Math.max(diff, Math.abs(grads[e.offset + i] - t.data[i]));
    }
    const relative = diff / largest;
    worst = Math.max(worst, relative);
    console.log(
      `  ∂loss/∂${e.name.padEnd(20)} ${e.shape.join('×').padEnd(12)} max |Δ| / max |g| = ${relative.toExponential(2)}`,
    );
  }
  const ok = worst <= 1e-4 && Math.abs(ourElbo - theirElbo) <= 1e-3;
  console.log(`largest relative difference ${worst.toExponential(2)}: ${ok ? 'agree' : 'DISAGREE'}`);
  process.exitCode = ok ? 0 : 1;
} finally {
  step.destroy();
  vae.destroy();
  rmSync(dir, { recursive: true, force: true });
}
