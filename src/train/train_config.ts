/** The one typed configuration of a training run, its defaults, and its validation. */
import { ACTIVATIONS, type Activation } from '../kernels/activation.ts';
import { INIT_SCHEMES, type InitScheme } from '../model/initialization.ts';
import type { VaeArchitecture } from '../model/vae_architecture.ts';
import { DEFAULT_OPTIMIZERS, type OptimizerConfig } from './optimizer_config.ts';

export const OPTIMIZER_KINDS = ['adam', 'adagrad', 'sgd'] as const;

export interface TrainConfig {
  /** Data dimension: values per row (784 for MNIST); set from the data. */
  D: number;
  /** Encoder hidden widths, input side first; the decoder mirrors them. [500] is the paper's MNIST model. */
  hidden: number[];
  /** Latent dimension Z. */
  latent: number;
  /** Activation of the hidden layers. */
  activation: Activation;
  /** Parameter initialisation: pytorch U(±1/√fan_in), glorot, or the paper's N(0, 0.01²). */
  init: InitScheme;
  /** Minibatch size M (the paper's M = 100). */
  batch: number;
  /** Optimiser: adam (default), adagrad (the paper's), sgd. */
  optimizer: (typeof OPTIMIZER_KINDS)[number];
  /** Learning rate; null = the optimiser's default (adam 1e-3, adagrad 0.02, sgd 0.01). */
  lr: number | null;
  /** λ of a N(0, I/λ) prior on the parameters (weight decay, added to the gradient as λθ); 0 = none. */
  weightDecay: number;
  /** The run's one seed: initialisation, shuffling, binarization and ε all derive from it. */
  seed: number;
  /** Weight β of the KL term in the training loss (1 = the ELBO; ≠ 1 a β-VAE). Reported ELBOs are always β = 1. */
  beta: number;
  /** KL warm-up: β grows linearly from 0 to `beta` over this many steps (0 = no warm-up). */
  klWarmup: number;
  /** The paper's SGVB estimator: 'B' analytic KL (default), 'A' Monte-Carlo KL at the sampled z. */
  estimator: 'A' | 'B';
  /** L, samples of z per datapoint in each step (the paper uses 1). */
  samplesPerPoint: number;
  /** p(x|z): 'bernoulli' (binary data) or 'gaussian' (real values in [0, 1]: sigmoid mean, learned variances). */
  likelihood: 'bernoulli' | 'gaussian';
  /** 'elbo' (the paper's bound) or 'iwae': the importance-weighted bound over the samplesPerPoint samples. */
  objective: 'elbo' | 'iwae';
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  D: 784,
  hidden: [500],
  latent: 20,
  activation: 'relu',
  init: 'pytorch',
  batch: 100,
  optimizer: 'adam',
  lr: null,
  weightDecay: 0,
  seed: 1,
  beta: 1,
  klWarmup: 0,
  estimator: 'B',
  samplesPerPoint: 1,
  likelihood: 'bernoulli',
  objective: 'elbo',
};

/** Throws a message naming the field and the value when a setting is out of range. */
export function validateTrainConfig(c: TrainConfig): void {
  const positiveInteger = (name: string, v: number, max = 1 << 24) => {
    if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`aevb: ${name} must be an integer from 1 to ${max}, got ${v}`);
  };
  positiveInteger('D', c.D);
  c.hidden.forEach((h, i) => positiveInteger(`hidden[${i}]`, h, 65536));
  positiveInteger('latent', c.latent, 4096);
  positiveInteger('batch', c.batch, 65535);
  if (!ACTIVATIONS.includes(c.activation)) throw new Error(`aevb: activation must be one of ${ACTIVATIONS.join(', ')}, got '${c.activation}'`);
  if (!INIT_SCHEMES.includes(c.init)) throw new Error(`aevb: init must be one of ${INIT_SCHEMES.join(', ')}, got '${c.init}'`);
  if (!OPTIMIZER_KINDS.includes(c.optimizer)) throw new Error(`aevb: optimizer must be one of ${OPTIMIZER_KINDS.join(', ')}, got '${c.optimizer}'`);
  if (c.lr !== null && !(Number.isFinite(c.lr) && c.lr > 0 && c.lr < 10)) throw new Error(`aevb: lr must be a number in (0, 10), got ${c.lr}`);
  if (!(Number.isFinite(c.weightDecay) && c.weightDecay >= 0)) throw new Error(`aevb: weightDecay must be a finite number ≥ 0, got ${c.weightDecay}`);
  if (!Number.isSafeInteger(c.seed) || c.seed < 0) throw new Error(`aevb: seed must be a non-negative integer, got ${c.seed}`);
  if (!(Number.isFinite(c.beta) && c.beta >= 0)) throw new Error(`aevb: beta must be a finite number ≥ 0, got ${c.beta}`);
  if (c.likelihood !== 'bernoulli' && c.likelihood !== 'gaussian') throw new Error(`aevb: likelihood must be bernoulli or gaussian, got '${c.likelihood}'`);
  if (c.objective !== 'elbo' && c.objective !== 'iwae') throw new Error(`aevb: objective must be elbo or iwae, got '${c.objective}'`);
  if (c.objective === 'iwae' && c.samplesPerPoint < 2) throw new Error(`aevb: the iwae objective needs samplesPerPoint (k) ≥ 2, got ${c.samplesPerPoint}`);
  if (c.objective === 'iwae' && c.likelihood !== 'bernoulli') throw new Error('aevb: the iwae objective is implemented for the bernoulli likelihood only');
  if (c.estimator !== 'A' && c.estimator !== 'B') throw new Error(`aevb: estimator must be A or B, got '${c.estimator}'`);
  positiveInteger('samplesPerPoint', c.samplesPerPoint, 1024);
  positiveInteger('batch × samplesPerPoint', c.batch * c.samplesPerPoint, 65535);
  if (!Number.isInteger(c.klWarmup) || c.klWarmup < 0) throw new Error(`aevb: klWarmup must be an integer ≥ 0 (steps), got ${c.klWarmup}`);
}

/** β at step t (1-based): the KL weight, ramped linearly over the warm-up. */
export function klWeightOf(c: TrainConfig): (step: number) => number {
  return (step) => (c.klWarmup > 0 ? c.beta * Math.min(1, step / c.klWarmup) : c.beta);
}

export function architectureOf(c: TrainConfig): VaeArchitecture {
  return { D: c.D, hidden: c.hidden, Z: c.latent, activation: c.activation, likelihood: c.likelihood };
}

export function optimizerOf(c: TrainConfig): OptimizerConfig {
  const base = DEFAULT_OPTIMIZERS[c.optimizer];
  return { ...base, lr: c.lr ?? base.lr, weightDecay: c.weightDecay };
}
