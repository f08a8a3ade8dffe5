/**
 * The pictures users look at, as grey-level images in [0, 1] (B rows of D = side² pixels): reconstructions of
 * data (the encoder's mean z, decoded), samples from the prior, and for Z = 2 the learned manifold — decoder
 * means on a grid of latent values through the inverse Gaussian CDF (Kingma & Welling, figures 4 and 5).
 * The networks run on the GPU; only the final sigmoid of the read-back logits is done on the CPU. Vae's
 * decode, sample, reconstruct and latentGrid are these.
 */
import { readFloat32 } from '../gpu/buffers.ts';
import { submitDispatches } from '../kernels/kernel.ts';
import type { ModelBuffers } from '../model/model_buffers.ts';
import { VaeDecoder } from '../model/vae_decoder.ts';
import { VaeForward } from '../model/vae_forward.ts';
import { decoderOutputs, type VaeArchitecture } from '../model/vae_architecture.ts';
import { philoxNormals } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';

const sigmoid = (l: number) => (l >= 0 ? 1 / (1 + Math.exp(-l)) : Math.exp(l) / (1 + Math.exp(l)));

/** sigmoid of the mean logits of n rows of decoder output (n × decoderOutputs): the first D of each row. */
function meansOf(arch: VaeArchitecture, out: Float32Array, n: number): Float32Array {
  const { D } = arch;
  const width = decoderOutputs(arch);
  const means = new Float32Array(n * D);
  for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) means[i * D + d] = sigmoid(out[i * width + d]);
  return means;
}

/** Decoder means sigmoid(mean logits) for the given latents (n × Z). */
export async function decoderMeans(model: ModelBuffers, z: Float32Array): Promise<Float32Array> {
  const { Z } = model.architecture;
  const n = z.length / Z;
  if (!Number.isInteger(n) || n === 0)
    throw new Error(`aevb: latents to decode must be whole rows of Z = ${Z} values, got ${z.length} floats`);
  const decoder = new VaeDecoder(model, n, 'decode');
  try {
    model.gpu.device.queue.writeBuffer(decoder.z, 0, z);
    submitDispatches(model.gpu, decoder.dispatches, 'decode');
    return meansOf(
      model.architecture,
      await readFloat32(model.gpu, { buffer: decoder.logits }, n * decoderOutputs(model.architecture)),
      n,
    );
  } finally {
    decoder.destroy();
  }
}

/** Each row of `data` (n × D) reconstructed through z = E[z|x] (ε = 0). */
export async function reconstructions(model: ModelBuffers, data: Float32Array): Promise<Float32Array> {
  const { D } = model.architecture;
  const n = data.length / D;
  if (!Number.isInteger(n) || n === 0)
    throw new Error(`aevb: rows to reconstruct must be whole rows of D = ${D} values, got ${data.length} floats`);
  const forward = new VaeForward(model, { B: n, noise: null, label: 'reconstruct' }); // ε stays 0
  try {
    model.gpu.device.queue.writeBuffer(forward.encoder.x, 0, data);
    submitDispatches(model.gpu, forward.dispatches, 'reconstruct');
    return meansOf(
      model.architecture,
      await readFloat32(model.gpu, { buffer: forward.decoder.logits }, n * decoderOutputs(model.architecture)),
      n,
    );
  } finally {
    forward.destroy();
  }
}

/** n latents z ~ N(0, I) (n × Z), drawn from Philox(seed, 0, prior stream). */
export function priorLatents(Z: number, n: number, seed: number): Float32Array {
  return Float32Array.from(philoxNormals(seed, 0, RANDOM_STREAMS.priorSamples, n * Z));
}

/** For Z = 2: a side × side grid of z = (Φ⁻¹(u), Φ⁻¹(v)), u and v evenly inside (0, 1), v falling down the rows. */
export function manifoldLatents(side: number): Float32Array {
  const z = new Float32Array(side * side * 2);
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      z[(r * side + c) * 2] = inverseNormalCdf((c + 0.5) / side);
      z[(r * side + c) * 2 + 1] = inverseNormalCdf(1 - (r + 0.5) / side);
    }
  }
  return z;
}

/** Φ⁻¹(p) by Acklam's rational approximation (relative error < 1.2e-9), for p in (0, 1). */
export function inverseNormalCdf(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`aevb: inverseNormalCdf needs p in (0, 1), got ${p}`);
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - low) return -inverseNormalCdf(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}
