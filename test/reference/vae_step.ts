// The whole SGVB step (estimator B: analytic KL, one ε per datapoint) of an MLP VAE in float64, composed only
// from the other references so that a GPU step can be checked end to end.
//
//   x (B, D) → encoder.0 … encoder.{n−1} (activation) → encoder.head (identity) → raw (B, 2Z)
//   → Gaussian head → stats [μ | log σ²] → z = μ + σ ε → decoder.0 … (activation, widths = hidden reversed)
//   → decoder.out (identity) → Bernoulli logits (B, D), or a Gaussian decoder's outputs: [mean logits | log σ²]
//     (B, 2D) for the paper's ('gaussian'), mean logits (B, D) and log σ² 'decoder.logvar' (D) for the shared one
//   loss = −(1/B) Σ_b (log p(x_b | z_b) − KL_b)
// A convolutional VAE is the same chain with some layers 2-D convolutions or transposed convolutions over NCHW
// rows (test/reference/conv2d.ts); its layers are given written out (config.layers), not derived from `hidden`.

import type { Activation } from './activation.ts';
import { denseBackward, denseForward } from './matmul.ts';
import { gaussianHeadBackward, gaussianHeadForward } from './gaussian_head.ts';
import { reparameterizeBackward, reparameterizeForward } from './reparameterize.ts';
import { klDivergenceBackward, klDivergenceForward } from './kl_divergence.ts';
import { bernoulliLogLikelihood, bernoulliLogLikelihoodBackward } from './bernoulli_likelihood.ts';
import { elboMean } from './elbo_mean.ts';
import { gaussianLogLikelihood, gaussianLogLikelihoodBackward } from './gaussian_likelihood.ts';
import { gaussianMlpLogLikelihood, gaussianMlpLogLikelihoodBackward } from './gaussian_mlp_likelihood.ts';
import { DEFAULT_MIN_LOG_VARIANCE } from '../../src/model/vae_architecture.ts';
import { mcKlBackward, mcKlForward } from './mc_kl.ts';
import { iwaeWeights } from './iwae_weights.ts';
import {
  conv2dBackwardRef,
  conv2dForwardRef,
  convTranspose2dBackwardRef,
  convTranspose2dForwardRef,
  type Conv2dRefShape,
} from './conv2d.ts';

export interface VaeConfig {
  D: number;
  hidden: number[]; // encoder widths; the decoder uses them reversed
  Z: number;
  activation: Activation;
  // gaussian: [mean logits | log σ²] (B, 2D) from decoder.out; gaussian-shared-variance: log σ² 'decoder.logvar' (D)
  likelihood?: 'bernoulli' | 'gaussian' | 'gaussian-shared-variance';
  minLogVariance?: number; // the Gaussian decoders' floor on log σ²; default the library's (the GPU sees it in float32)
  layers?: VaeLayersRef; // written out (convolutional models); absent: dense layers of `hidden`, mirrored
}

const floorOf = (config: VaeConfig) => Math.fround(config.minLogVariance ?? DEFAULT_MIN_LOG_VARIANCE);

export interface ParameterShape {
  name: string;
  shape: number[];
}

export interface Layer {
  prefix: string;
  in: number; // floats per row
  out: number;
  act: Activation;
  // A convolution (in = inChannels·inHeight·inWidth); weight (outChannels, inChannels, k, k), or for a transposed
  // one (inChannels, outChannels, k, k); bias (outChannels).
  conv?: Omit<Conv2dRefShape, 'B'> & { transpose: boolean };
}

export interface VaeLayersRef {
  encoder: Layer[];
  head: Layer;
  decoder: Layer[];
  out: Layer;
}

/** A layer's weight shape: dense (in, out); a convolution's PyTorch's. */
function weightShape(layer: Layer): number[] {
  const c = layer.conv;
  if (!c) return [layer.in, layer.out];
  return c.transpose
    ? [c.inChannels, c.outChannels, c.kernel, c.kernel]
    : [c.outChannels, c.inChannels, c.kernel, c.kernel];
}

// The layers in forward order (encoder, head, decoder, out).
export function layers(config: VaeConfig): VaeLayersRef {
  if (config.layers) return config.layers;
  const { D, hidden, Z, activation } = config;
  const encoder: Layer[] = [];
  let width = D;
  hidden.forEach((h, i) => {
    encoder.push({ prefix: `encoder.${i}`, in: width, out: h, act: activation });
    width = h;
  });
  const head: Layer = { prefix: 'encoder.head', in: width, out: 2 * Z, act: 'identity' };
  const decoder: Layer[] = [];
  width = Z;
  [...hidden].reverse().forEach((h, i) => {
    decoder.push({ prefix: `decoder.${i}`, in: width, out: h, act: activation });
    width = h;
  });
  const out: Layer = {
    prefix: 'decoder.out',
    in: width,
    out: config.likelihood === 'gaussian' ? 2 * D : D,
    act: 'identity',
  };
  return { encoder, head, decoder, out };
}

/** Parameter names and shapes in layout order: encoder layers, head, decoder layers, out; weight before bias. */
export function vaeParameterShapes(config: VaeConfig): ParameterShape[] {
  const l = layers(config);
  const shapes: ParameterShape[] = [];
  for (const layer of [...l.encoder, l.head, ...l.decoder, l.out]) {
    shapes.push({ name: `${layer.prefix}.weight`, shape: weightShape(layer) });
    shapes.push({ name: `${layer.prefix}.bias`, shape: [layer.conv ? layer.conv.outChannels : layer.out] });
  }
  if (config.likelihood === 'gaussian-shared-variance') shapes.push({ name: 'decoder.logvar', shape: [config.D] });
  return shapes;
}

export interface VaeStepResult {
  loss: number; // −mean ELBO, what the optimiser minimises
  elbo: number; // mean ELBO
  kl: number; // mean KL
  logp: number; // mean log p(x | z)
  grads: Record<string, Float64Array>; // ∂loss/∂param, same names as the parameters
}

function param(params: Record<string, ArrayLike<number>>, name: string, size: number): ArrayLike<number> {
  const p = params[name];
  if (!p) throw new Error(`vae_step: missing parameter ${name}`);
  if (p.length !== size) throw new Error(`vae_step: ${name} has ${p.length} elements, want ${size}`);
  return p;
}

/** Everything the forward pass computes, for the backward and for checking GPU intermediates. */
export interface VaeForward {
  layers: { name: string; input: ArrayLike<number>; pre: Float64Array; y: Float64Array }[]; // forward order
  raw: Float64Array; // (B, 2Z) head output [μ | raw log σ²]
  stats: Float64Array; // (B, 2Z) [μ | log σ²]
  z: Float64Array; // (B, Z)
  logits: Float64Array; // (B, D), or (B, 2D) [mean logits | log σ²] for the paper's Gaussian decoder
  logpPerDatapoint: Float64Array; // (B)
  klPerDatapoint: Float64Array; // (B)
  elbo: number;
  kl: number;
  logp: number;
}

/** One layer in float64: dense, or a 2-D convolution (transposed or not) over NCHW rows; its pre-activation too. */
export function layerForward(
  layer: Layer,
  input: ArrayLike<number>,
  params: Record<string, ArrayLike<number>>,
  B: number,
): { pre: Float64Array; y: Float64Array } {
  const c = layer.conv;
  const w = param(
    params,
    `${layer.prefix}.weight`,
    weightShape(layer).reduce((a, b) => a * b, 1),
  );
  const b = param(params, `${layer.prefix}.bias`, c ? c.outChannels : layer.out);
  const { pre, y } = c
    ? (c.transpose ? convTranspose2dForwardRef : conv2dForwardRef)({ ...c, B }, input, w, b, layer.act)
    : denseForward(input, w, b, B, layer.in, layer.out, layer.act);
  if (y.length !== B * layer.out)
    throw new Error(`vae_step: ${layer.prefix} makes ${y.length}, want ${B}*${layer.out}`);
  return { pre, y };
}

/**
 * One layer's backward from ∂loss/∂(its output): ∂loss/∂(its input) and its weight and bias gradients, given the
 * input and pre-activation its forward kept.
 */
export function layerBackward(
  layer: Layer,
  input: ArrayLike<number>,
  pre: Float64Array,
  dy: Float64Array,
  params: Record<string, ArrayLike<number>>,
  B: number,
): { dx: Float64Array; dWeight: Float64Array; dBias: Float64Array } {
  const w = params[`${layer.prefix}.weight`];
  const c = layer.conv;
  if (c) {
    const r = (c.transpose ? convTranspose2dBackwardRef : conv2dBackwardRef)({ ...c, B }, input, w, pre, dy, layer.act);
    return { dx: r.dx, dWeight: r.dWeight, dBias: r.dBias };
  }
  const r = denseBackward(input, w, pre, dy, B, layer.in, layer.out, layer.act);
  return { dx: r.dx, dWeight: r.dw, dBias: r.db };
}

export function vaeForward(
  config: VaeConfig,
  params: Record<string, ArrayLike<number>>,
  x: ArrayLike<number>,
  eps: ArrayLike<number>,
  B: number,
): VaeForward {
  const { D, Z } = config;
  if (x.length !== B * D) throw new Error(`vae_step: x has ${x.length}, want ${B}*${D}`);
  if (eps.length !== B * Z) throw new Error(`vae_step: eps has ${eps.length}, want ${B}*${Z}`);
  const l = layers(config);
  const tape: VaeForward['layers'] = [];
  const dense = (layer: Layer, input: ArrayLike<number>): Float64Array => {
    const { pre, y } = layerForward(layer, input, params, B);
    tape.push({ name: layer.prefix, input, pre, y });
    return y;
  };
  let h: ArrayLike<number> = x;
  for (const layer of l.encoder) h = dense(layer, h);
  const raw = dense(l.head, h);
  const stats = gaussianHeadForward(raw, B, Z);
  const z = reparameterizeForward(stats, eps, B, Z);
  h = z;
  for (const layer of l.decoder) h = dense(layer, h);
  const logits = dense(l.out, h);
  const logpPerDatapoint =
    config.likelihood === 'gaussian'
      ? gaussianMlpLogLikelihood(logits, x, B, D, floorOf(config))
      : config.likelihood === 'gaussian-shared-variance'
        ? gaussianLogLikelihood(logits, x, param(params, 'decoder.logvar', D), B, D, floorOf(config))
        : bernoulliLogLikelihood(logits, x, B, D);
  const klPerDatapoint = klDivergenceForward(stats, B, Z);
  const means = elboMean(logpPerDatapoint, klPerDatapoint);
  return { layers: tape, raw, stats, z, logits, logpPerDatapoint, klPerDatapoint, ...means };
}

/**
 * loss = −(1/B) Σ_b (log p(x_b|z_b) − β KL_b) and its gradients; β = 1 is the ELBO, β < 1 a KL warm-up stage
 * or a β-VAE. The reported elbo/kl/logp are always the unweighted (β = 1) terms.
 */
export function vaeLossAndGradients(
  config: VaeConfig,
  params: Record<string, ArrayLike<number>>,
  x: ArrayLike<number>,
  eps: ArrayLike<number>,
  B: number,
  beta = 1,
  estimator: 'A' | 'B' = 'B',
  iwaeSamples = 0,
): VaeStepResult {
  const { D, Z } = config;
  const fwd = vaeForward(config, params, x, eps, B);
  if (estimator === 'A') {
    // Estimator A: the KL term is log q(z|x) − log p(z) at the sampled z (mc_kl.ts), not the analytic KL.
    const klA = mcKlForward(fwd.stats, eps, B, Z);
    Object.assign(fwd, { klPerDatapoint: klA, ...elboMean(fwd.logpPerDatapoint, klA) });
  }
  const l = layers(config);
  const all = [...l.encoder, l.head, ...l.decoder, l.out]; // same order as fwd.layers

  // Every cotangent is ∂loss/∂(·), so the loss terms get scale = 1/B.
  const scale = 1 / B;
  const grads: Record<string, Float64Array> = {};
  // IWAE (Burda et al.): the B rows are B/k datapoints × k samples; the loss is −mean over datapoints of
  // log mean_i w_i, whose gradient is estimator A's with row i's cotangent scaled by its normalised weight
  // w̃_i/(B/k) instead of 1/B. rowScale = null means every row weighs `scale`.
  let rowScale: Float64Array | null = null;
  let loss = -(fwd.logp - beta * fwd.kl);
  if (iwaeSamples > 0) {
    const klA = mcKlForward(fwd.stats, eps, B, Z);
    const weights = iwaeWeights(fwd.logpPerDatapoint, klA, B / iwaeSamples, iwaeSamples, iwaeSamples / B);
    rowScale = weights.rowScale;
    loss = -weights.bound.reduce((s, v) => s + v, 0) / (B / iwaeSamples);
  }
  const byRow = (a: Float64Array, width: number) => {
    if (rowScale !== null) for (let i = 0; i < a.length; i++) a[i] *= rowScale[Math.floor(i / width)];
    return a;
  };
  // Walks layers upTo−1 … downTo, returning ∂loss/∂(input of layer downTo).
  const backThrough = (upTo: number, dy: Float64Array, downTo: number): Float64Array => {
    let g = dy;
    for (let k = upTo - 1; k >= downTo; k--) {
      const layer = all[k];
      const { input, pre } = fwd.layers[k];
      const r = layerBackward(layer, input, pre, g, params, B);
      grads[`${layer.prefix}.weight`] = r.dWeight;
      grads[`${layer.prefix}.bias`] = r.dBias;
      g = r.dx;
    }
    return g;
  };
  const firstDecoder = l.encoder.length + 1; // index of decoder.0 (of decoder.out when there is no hidden layer)
  let dLogits: Float64Array;
  const likelihoodScale = rowScale ? 1 : scale;
  if (config.likelihood === 'gaussian') {
    dLogits = byRow(gaussianMlpLogLikelihoodBackward(fwd.logits, x, B, D, floorOf(config), likelihoodScale), 2 * D);
  } else if (config.likelihood === 'gaussian-shared-variance') {
    // IWAE weighs each row's term of ∂loss/∂log σ² before the sum over rows: one row at a time.
    const logVar = param(params, 'decoder.logvar', D);
    dLogits = new Float64Array(B * D);
    const dLogVar = new Float64Array(D);
    for (let b = 0; b < B; b++) {
      const g = gaussianLogLikelihoodBackward(
        fwd.logits.subarray(b * D, (b + 1) * D),
        Array.prototype.slice.call(x, b * D, (b + 1) * D),
        logVar,
        1,
        D,
        floorOf(config),
        likelihoodScale,
      );
      const weight = rowScale ? rowScale[b] : 1;
      for (let d = 0; d < D; d++) {
        dLogits[b * D + d] = weight * g.dLogits[d];
        dLogVar[d] += weight * g.dLogVar[d];
      }
    }
    grads['decoder.logvar'] = dLogVar;
  } else {
    dLogits = byRow(bernoulliLogLikelihoodBackward(fwd.logits, x, B, D, rowScale ? 1 : scale), D);
  }
  const dz = backThrough(all.length, dLogits, firstDecoder);
  const dStats = reparameterizeBackward(fwd.stats, eps, dz, B, Z);
  const dKl =
    rowScale !== null
      ? byRow(mcKlBackward(fwd.stats, eps, B, Z, 1), 2 * Z)
      : estimator === 'A'
        ? mcKlBackward(fwd.stats, eps, B, Z, beta * scale)
        : klDivergenceBackward(fwd.stats, B, Z, beta * scale);
  for (let i = 0; i < dStats.length; i++) dStats[i] += dKl[i];
  const dRaw = gaussianHeadBackward(fwd.raw, dStats, B, Z);
  backThrough(firstDecoder, dRaw, 0); // ∂loss/∂x is discarded

  return { loss, elbo: fwd.elbo, kl: fwd.kl, logp: fwd.logp, grads };
}
