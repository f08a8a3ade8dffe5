// The gradients of one wake-sleep step (Hinton et al. 1995) in float64, composed from the other references:
//   wake:  the decoder's gradient of −(1/B) Σ log p(x|z) at z = μ + σ ε from the encoder, z held fixed
//   sleep: z (dreamed, B × Z) → decoder → x ~ p(x|z) from the dream noise (decoder_sample) → encoder →
//          the encoder's gradient of −(1/B) Σ log N(z; μ(x), σ²(x))
// plus the wake minibatch's ELBO (analytic KL), which a wake-sleep step reports.

import { gaussianHeadBackward, gaussianHeadForward } from './gaussian_head.ts';
import { bernoulliLogLikelihoodBackward } from './bernoulli_likelihood.ts';
import { gaussianLogLikelihoodBackward } from './gaussian_likelihood.ts';
import { gaussianMlpLogLikelihoodBackward } from './gaussian_mlp_likelihood.ts';
import { gaussianLogDensityBackward } from './gaussian_log_density.ts';
import { decoderSample } from './decoder_sample.ts';
import { layerBackward, layerForward, layers, vaeForward, type Layer, type VaeConfig } from './vae_step.ts';
import { DEFAULT_MIN_LOG_VARIANCE } from '../../src/model/vae_architecture.ts';

export interface WakeSleepResult {
  elbo: number;
  kl: number;
  logp: number;
  grads: Record<string, Float64Array>; // every parameter: decoder ones from the wake phase, encoder ones from the sleep phase
  dreamOut: Float64Array; // the decoder output for the dreamed z (B, D or 2D)
  dreamX: Float64Array; // (B, D) the dreamed x
}

/** Walks `chain` (dense or convolution layers) back from ∂loss/∂(output of its last layer), given each layer's input and pre-activation. */
function chainBackward(
  chain: Layer[],
  tape: { input: ArrayLike<number>; pre: Float64Array }[],
  dLast: Float64Array,
  params: Record<string, ArrayLike<number>>,
  B: number,
  grads: Record<string, Float64Array>,
): void {
  let g = dLast;
  for (let k = chain.length - 1; k >= 0; k--) {
    const l = chain[k];
    const r = layerBackward(l, tape[k].input, tape[k].pre, g, params, B);
    grads[`${l.prefix}.weight`] = r.dWeight;
    grads[`${l.prefix}.bias`] = r.dBias;
    g = r.dx;
  }
}

/** Runs `chain` forward from `input`, keeping each layer's input and pre-activation. */
function chainForward(chain: Layer[], input: ArrayLike<number>, params: Record<string, ArrayLike<number>>, B: number) {
  const tape: { input: ArrayLike<number>; pre: Float64Array }[] = [];
  let h: ArrayLike<number> = input;
  for (const l of chain) {
    const { pre, y } = layerForward(l, h, params, B);
    tape.push({ input: h, pre });
    h = y;
  }
  return { tape, y: h as Float64Array };
}

export function wakeSleepGradients(
  config: VaeConfig,
  params: Record<string, ArrayLike<number>>,
  x: ArrayLike<number>,
  eps: ArrayLike<number>,
  dreamZ: ArrayLike<number>,
  dreamNoise: ArrayLike<number>,
  B: number,
): WakeSleepResult {
  const { D, Z } = config;
  const likelihood = config.likelihood ?? 'bernoulli';
  const floor = Math.fround(config.minLogVariance ?? DEFAULT_MIN_LOG_VARIANCE);
  const l = layers(config);
  const decoderChain = [...l.decoder, l.out];
  const encoderChain = [...l.encoder, l.head];
  const grads: Record<string, Float64Array> = {};
  const dOutput = (out: Float64Array, data: ArrayLike<number>): Float64Array => {
    if (likelihood === 'gaussian') return gaussianMlpLogLikelihoodBackward(out, data, B, D, floor, 1 / B);
    if (likelihood === 'gaussian-shared-variance') {
      const g = gaussianLogLikelihoodBackward(out, data, params['decoder.logvar'], B, D, floor, 1 / B);
      grads['decoder.logvar'] = g.dLogVar;
      return g.dLogits;
    }
    return bernoulliLogLikelihoodBackward(out, data, B, D, 1 / B);
  };

  // Wake.
  const wake = vaeForward(config, params, x, eps, B);
  const decoderTape = wake.layers.slice(l.encoder.length + 1);
  chainBackward(decoderChain, decoderTape, dOutput(wake.logits, x), params, B, grads);

  // Sleep.
  const dreamed = chainForward(decoderChain, dreamZ, params, B);
  const dreamX = decoderSample(
    likelihood,
    dreamed.y,
    dreamNoise,
    likelihood === 'gaussian-shared-variance' ? params['decoder.logvar'] : null,
    B,
    D,
    floor,
  );
  const recognised = chainForward(encoderChain, dreamX, params, B);
  const stats = gaussianHeadForward(recognised.y, B, Z);
  const dRaw = gaussianHeadBackward(recognised.y, gaussianLogDensityBackward(stats, dreamZ, B, Z, 1 / B), B, Z);
  chainBackward(encoderChain, recognised.tape, dRaw, params, B, grads);

  return { elbo: wake.elbo, kl: wake.kl, logp: wake.logp, grads, dreamOut: dreamed.y, dreamX };
}
