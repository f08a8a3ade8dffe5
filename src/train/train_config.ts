/**
 * The one typed configuration of a training run. Every field is described once, in TRAIN_CONFIG_FIELDS: its
 * type, default, accepted range and help line. TrainConfig, DEFAULT_TRAIN_CONFIG, validateTrainConfig and the
 * model and optimizer flags of `aevb train` (src/cli/train_options.node.ts) are all made from that table.
 */
import { ACTIVATIONS } from '../kernels/activation.ts';
import { INIT_SCHEMES } from '../model/initialization.ts';
import {
  DEFAULT_MIN_LOG_VARIANCE,
  LIKELIHOODS,
  MIN_LOG_VARIANCE_RANGE,
  type VaeArchitecture,
} from '../model/vae_architecture.ts';
import { DEFAULT_OPTIMIZERS, OPTIMIZER_KINDS, type OptimizerConfig } from './optimizer_config.ts';
import { CONSTANT_LR, formatLrSchedule, learningRateAt, validateLrSchedule, type LrSchedule } from './lr_schedule.ts';
import { numberProblem, type NumberRule } from './numbers.ts';
import { kernelLimitProblem } from '../model/kernel_limits.ts';
import { DEFAULT_ARCH, parseArch, parseImageShape, type ArchSpec, type ImageShape } from '../model/layer_specs.ts';

interface FieldBase {
  /** One line for `aevb train --help`. */
  help: string;
  /** The value placeholder of the field's command-line flag (`--latent <Z>`); absent: not a flag. */
  flagValue?: string;
}

/** A whole number in [min, max]; without max, any safe integer from min. */
export interface IntegerField extends FieldBase {
  type: 'integer';
  default: number;
  min: number;
  max?: number;
}

/** A finite number from min (above it when minExclusive), below max when given; null too when nullable. */
export interface NumberField extends FieldBase {
  type: 'number';
  default: number | null;
  min: number;
  minExclusive?: boolean;
  /** Exclusive upper bound. */
  max?: number;
  nullable?: boolean;
  /** May be absent from a TrainConfig (a field added after configs were written): absent means the default. */
  optional?: boolean;
}

/** One of a list of names. */
export interface ChoiceField extends FieldBase {
  type: 'choice';
  choices: readonly string[];
  default: string;
  /** May be absent from a TrainConfig (a field added after configs were written): absent means the default. */
  optional?: boolean;
}

/** A list of layer widths, each an integer in [min, max]. */
export interface WidthsField extends FieldBase {
  type: 'widths';
  default: readonly number[];
  min: number;
  max: number;
}

/** A learning-rate schedule (lr_schedule.ts): JSON in configs and checkpoints, KIND:k=v,…;warmup=W as a flag. */
export interface ScheduleField extends FieldBase {
  type: 'schedule';
  default: LrSchedule;
}

/**
 * The network's layers as data (src/model/layer_specs.ts): a short form ('mlp', 'conv:32,64') or a layer list
 * {encoder, decoder}; a flag takes either (the list as JSON). Absent from older configs: 'mlp'.
 */
export interface ArchField extends FieldBase {
  type: 'arch';
  default: string;
  optional: true;
}

/** (channels, height, width) of a row, or null: inferred from D (one channel of √D × √D). */
export interface ImageShapeField extends FieldBase {
  type: 'image-shape';
  default: null;
  optional: true;
}

export type ConfigField =
  IntegerField | NumberField | ChoiceField | WidthsField | ScheduleField | ArchField | ImageShapeField;

const lrDefaults = Object.values(DEFAULT_OPTIMIZERS)
  .map((o) => `${o.kind} ${o.lr}`)
  .join(', ');

/** The fields of TrainConfig, in the order `aevb train --help` lists their flags. */
export const TRAIN_CONFIG_FIELDS = {
  /** Data dimension: values per row (784 for MNIST); set from the data, so not a flag. */
  D: { type: 'integer', default: 784, min: 1, max: 1 << 24, help: 'values per row (set from the data)' },
  /**
   * The network (src/model/layer_specs.ts): 'mlp' (dense layers of `hidden`, the decoder mirrored), 'conv:C1,C2,…'
   * (convolutions of kernel 4, stride 2, padding 1 before the dense layers of `hidden`, the decoder mirrored with
   * transposed convolutions: conv:32,64 with hidden [256] is the PyTorch peer's ConvVAE) or a layer list.
   */
  arch: {
    type: 'arch',
    default: DEFAULT_ARCH,
    optional: true,
    flagValue: '<arch>',
    help: 'mlp, conv:C1,C2,… (4×4 stride-2 convolutions before the --hidden dense layers, mirrored by transposed ones; conv:32,64 --hidden 256 is the common conv VAE), or a layer list as JSON {"encoder": […], "decoder": […]}',
  },
  /** (C, H, W) of a row for convolutions; null: one channel of √D × √D. */
  imageShape: {
    type: 'image-shape',
    default: null,
    optional: true,
    flagValue: '<C,H,W>',
    help: 'channels, height and width of a row for convolutional models (default: 1,√D,√D when D is a square)',
  },
  /** Encoder hidden widths, input side first; the decoder mirrors them. [500] is the paper's MNIST model. */
  hidden: {
    type: 'widths',
    default: [500],
    min: 1,
    max: 65536,
    flagValue: '<widths>',
    help: 'hidden layer widths of the encoder, comma-separated; the decoder mirrors them',
  },
  /** Latent dimension Z. */
  latent: { type: 'integer', default: 20, min: 1, max: 4096, flagValue: '<Z>', help: 'latent dimension' },
  /** Minibatch size M (the paper's M = 100). */
  batch: { type: 'integer', default: 100, min: 1, max: 65535, flagValue: '<M>', help: 'minibatch size' },
  /** Activation of the hidden layers. */
  activation: {
    type: 'choice',
    choices: ACTIVATIONS,
    default: 'relu',
    flagValue: '<name>',
    help: 'hidden-layer activation',
  },
  /** Parameter initialisation: pytorch U(±1/√fan_in), glorot, or the paper's N(0, 0.01²). */
  init: {
    type: 'choice',
    choices: INIT_SCHEMES,
    default: 'pytorch',
    flagValue: '<scheme>',
    help: 'initialisation: pytorch U(±1/√fan_in), glorot, or paper N(0, 0.01²)',
  },
  /** Optimiser: adam (default), adagrad (the paper's), sgd; their hyperparameters are DEFAULT_OPTIMIZERS. */
  optimizer: {
    type: 'choice',
    choices: OPTIMIZER_KINDS,
    default: 'adam',
    flagValue: '<name>',
    help: "optimizer (adagrad is the paper's)",
  },
  /** Learning rate; null = the optimiser's default (DEFAULT_OPTIMIZERS). */
  lr: {
    type: 'number',
    default: null,
    nullable: true,
    min: 0,
    minExclusive: true,
    max: 10,
    flagValue: '<rate>',
    help: `learning rate (default: ${lrDefaults})`,
  },
  /** How the learning rate moves over the steps: constant, step decay or cosine, each with an optional warm-up. */
  lrSchedule: {
    type: 'schedule',
    default: CONSTANT_LR,
    flagValue: '<schedule>',
    help:
      'learning-rate schedule: constant, step:every=S,factor=γ or cosine:steps=T,min=LR, ' +
      'each optionally ;warmup=W (e.g. cosine:steps=6000,min=1e-5;warmup=500)',
  },
  /** λ of a N(0, I/λ) prior on the parameters (weight decay, added to the gradient as λθ); 0 = none. */
  weightDecay: {
    type: 'number',
    default: 0,
    min: 0,
    flagValue: '<lambda>',
    help: 'N(0, I/λ) prior on the parameters, added to the gradient as λθ',
  },
  /** Weight β of the KL term in the training loss (1 = the ELBO; ≠ 1 a β-VAE). Reported ELBOs are always β = 1. */
  beta: {
    type: 'number',
    default: 1,
    min: 0,
    flagValue: '<β>',
    help: 'weight of the KL term in the training loss (1: the ELBO; reported ELBOs always use 1)',
  },
  /** KL warm-up: β grows linearly from 0 to `beta` over this many steps (0 = no warm-up). */
  klWarmup: {
    type: 'integer',
    default: 0,
    min: 0,
    flagValue: '<steps>',
    help: 'KL warm-up: β rises linearly from 0 over this many steps (0: none)',
  },
  /**
   * p(x|z) (LIKELIHOODS in vae_architecture.ts): 'bernoulli' (binary data); 'gaussian', the paper's decoder whose
   * last layer outputs the mean's logits and log σ² of every value (real values in [0, 1]); or
   * 'gaussian-shared-variance', one learned log σ² per value whatever z.
   */
  likelihood: {
    type: 'choice',
    choices: LIKELIHOODS,
    default: 'bernoulli',
    flagValue: '<name>',
    help: "p(x|z): bernoulli (binary data), gaussian (the paper's: mean and variance from the decoder) or gaussian-shared-variance (one learned variance per value); the gaussians want --no-binarize, best with --dequantize",
  },
  /**
   * 'uniform': train on 8-bit grey levels dequantized afresh at every step, (k + u)/256 with u ~ U(0, 1)
   * (src/stream/dequantize.ts), and evaluate on sets dequantized once; bounds are then densities of the
   * dequantized values, and bits/dim subtract D ln 256. 'none' (default): values as read. Needs no binarization.
   */
  dequantize: {
    type: 'choice',
    choices: ['none', 'uniform'],
    default: 'none',
    optional: true,
    flagValue: '<none|uniform>',
    help: 'uniform: dequantize 8-bit grey levels, (k + u)/256 with fresh u ~ U(0, 1) each step (real-valued likelihoods; with --no-binarize)',
  },
  /**
   * The Gaussian decoders' floor on log σ² (log σ² = max(output, floor)): keeps the bound finite on constant
   * pixels. Default ln(1/(12·256²)), the variance of 8-bit dequantization noise. Optional in a config: older
   * checkpoints lack it.
   */
  minLogVariance: {
    type: 'number',
    default: DEFAULT_MIN_LOG_VARIANCE,
    min: MIN_LOG_VARIANCE_RANGE[0],
    max: MIN_LOG_VARIANCE_RANGE[1],
    optional: true,
    flagValue: '<floor>',
    help: 'gaussian decoders: the floor on log σ², which keeps the bound finite on constant pixels (default ln(1/(12·256²)) ≈ -13.58)',
  },
  /** 'elbo' (the paper's bound) or 'iwae': the importance-weighted bound over the samplesPerPoint samples. */
  objective: {
    type: 'choice',
    choices: ['elbo', 'iwae'],
    default: 'elbo',
    flagValue: '<name>',
    help: 'elbo, or iwae: the importance-weighted bound over --samples-per-point samples (Burda et al.)',
  },
  /**
   * How the encoder and decoder are trained: 'sgvb' (the paper's AEVB, default) or 'wake-sleep' (Hinton et al.
   * 1995, the paper's baseline: src/train/wake_sleep_step.ts), reported by the same ELBO.
   */
  method: {
    type: 'choice',
    choices: ['sgvb', 'wake-sleep'],
    default: 'sgvb',
    optional: true,
    flagValue: '<sgvb|wake-sleep>',
    help: "training algorithm: sgvb (AEVB) or wake-sleep (the paper's baseline; β, warm-up, estimator and iwae do not apply)",
  },
  /** The paper's SGVB estimator: 'B' analytic KL (default), 'A' Monte-Carlo KL at the sampled z. */
  estimator: {
    type: 'choice',
    choices: ['A', 'B'],
    default: 'B',
    flagValue: '<A|B>',
    help: "the paper's SGVB estimator: B analytic KL, A Monte-Carlo KL",
  },
  /** L, samples of z per datapoint in each step (the paper uses 1). */
  samplesPerPoint: {
    type: 'integer',
    default: 1,
    min: 1,
    max: 1024,
    flagValue: '<L>',
    help: 'samples of z per datapoint in each step',
  },
  /** The run's one seed: initialisation, shuffling, binarization and ε all derive from it. */
  seed: {
    type: 'integer',
    default: 1,
    min: 0,
    flagValue: '<n>',
    help: "the run's one seed (init, shuffling, binarization, ε)",
  },
} as const satisfies Record<string, ConfigField>;

type Fields = typeof TRAIN_CONFIG_FIELDS;

/** The value a field holds: its choices' union, a list of widths, or a number (or null where nullable). */
type FieldValue<F> = F extends { type: 'choice'; choices: readonly (infer C)[] }
  ? C
  : F extends { type: 'schedule' }
    ? LrSchedule
    : F extends { type: 'arch' }
      ? ArchSpec
      : F extends { type: 'image-shape' }
        ? ImageShape | null
        : F extends { type: 'widths' }
          ? number[]
          : F extends { nullable: true }
            ? number | null
            : number;

/** The fields a TrainConfig may leave out (their default applies). */
type OptionalFields = { [K in keyof Fields]: Fields[K] extends { optional: true } ? K : never }[keyof Fields];

/** A training run's settings: one field per entry of TRAIN_CONFIG_FIELDS, which documents each. */
export type TrainConfig = { -readonly [K in Exclude<keyof Fields, OptionalFields>]: FieldValue<Fields[K]> } & {
  -readonly [K in OptionalFields]?: FieldValue<Fields[K]>;
};

/** Every field at its default. */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = Object.fromEntries(
  Object.entries(TRAIN_CONFIG_FIELDS).map(([name, field]) => [
    name,
    Array.isArray(field.default)
      ? [...field.default]
      : typeof field.default === 'object' && field.default !== null
        ? { ...field.default }
        : field.default,
  ]),
) as TrainConfig; // one entry per field of the table: TrainConfig's shape by construction

/**
 * A config with every field the caller left out (or gave as undefined) at its default: `{ D: 16, latent: 2 }` is
 * DEFAULT_TRAIN_CONFIG with those two fields. Not validated here (validateTrainConfig is).
 */
export function completeTrainConfig(partial: Partial<TrainConfig>): TrainConfig {
  const given = Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined));
  return { ...DEFAULT_TRAIN_CONFIG, ...given } as TrainConfig;
}

/** The accepted range of a field, as validation messages state it ("an integer from 1 to 4096"). */
export function describeRange(field: ConfigField): string {
  switch (field.type) {
    case 'integer':
    case 'widths':
      return field.max === undefined ? `an integer ≥ ${field.min}` : `an integer from ${field.min} to ${field.max}`;
    case 'number':
      return field.max === undefined
        ? `a finite number ${field.minExclusive ? '>' : '≥'} ${field.min}`
        : `a number in ${field.minExclusive ? '(' : '['}${field.min}, ${field.max})`;
    case 'choice':
      return `one of ${field.choices.join(', ')}`;
    case 'schedule':
      return `a learning-rate schedule such as ${formatLrSchedule({ kind: 'cosine', steps: 6000, min: 1e-5, warmup: 500 })}`;
    case 'arch':
      return 'mlp, conv:C1,C2,… or a layer list {encoder, decoder}';
    case 'image-shape':
      return 'channels, height and width, e.g. [1, 28, 28]';
  }
}

/** Through the one validator of numbers (numbers.ts): safe integers, and float32-sized reals (the GPU's). */
function inRange(field: IntegerField | NumberField | WidthsField, v: unknown): boolean {
  return numberProblem(v, ruleOf(field)) === null;
}

function ruleOf(field: IntegerField | NumberField | WidthsField): NumberRule {
  return {
    kind: field.type === 'number' ? 'float32' : 'integer',
    min: field.min,
    minExclusive: field.type === 'number' ? field.minExclusive : false,
    max: field.max,
  };
}

/** A value as a message quotes it: 'swish', NaN, [500,0]. */
function shown(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' || v === undefined) return String(v);
  return JSON.stringify(v);
}

/** Throws, naming the field and the value, unless `value` is in the field's range. */
function checkField(name: string, field: ConfigField, value: unknown): void {
  const refuse = (what: string, v: unknown) => {
    // The validator's reason when it is more than the range (an unsafe integer, a number float32 makes 0).
    const problem = field.type === 'number' || field.type === 'integer' ? numberProblem(v, ruleOf(field)) : null;
    const why = problem === null || problem === 'out of range' || problem === 'not a number' ? '' : ` (${problem})`;
    throw new Error(`aevb: ${what} must be ${describeRange(field)}, got ${shown(v)}${why}`);
  };
  switch (field.type) {
    case 'choice':
      if (value === undefined && field.optional) return;
      if (!field.choices.includes(value as string)) refuse(name, value);
      return;
    case 'widths':
      if (!Array.isArray(value)) throw new Error(`aevb: ${name} must be a list of widths, got ${shown(value)}`);
      for (const [i, width] of value.entries()) if (!inRange(field, width)) refuse(`${name}[${i}]`, width);
      return;
    case 'number':
      if (value === null && field.nullable) return;
      if (value === undefined && field.optional) return;
      if (!inRange(field, value)) refuse(name, value);
      return;
    case 'integer':
      if (!inRange(field, value)) refuse(name, value);
      return;
    case 'schedule':
      validateLrSchedule(value, name);
      return;
    case 'arch':
      if (value !== undefined) parseArch(value);
      return;
    case 'image-shape':
      if (value !== undefined && value !== null) parseImageShape(value);
  }
}

/** Throws a message naming the field and the value when a setting is out of range. */
export function validateTrainConfig(c: TrainConfig): void {
  for (const [name, field] of Object.entries(TRAIN_CONFIG_FIELDS))
    checkField(name, field, c[name as keyof TrainConfig]);
  if (c.objective === 'iwae' && c.samplesPerPoint < 2)
    throw new Error(`aevb: the iwae objective needs samplesPerPoint (k) ≥ 2, got ${c.samplesPerPoint}`);
  if (c.method === 'wake-sleep' && c.objective === 'iwae')
    throw new Error('aevb: the iwae objective is an SGVB bound: it does not apply to wake-sleep training');
  checkField('batch × samplesPerPoint', { ...TRAIN_CONFIG_FIELDS.batch }, c.batch * c.samplesPerPoint);
  const tooWide = kernelLimitProblem(architectureOf(c));
  if (tooWide !== null) throw new Error(`aevb: a model of D = ${c.D} cannot be trained: ${tooWide}`);
}

/** β at step t (1-based): the KL weight, ramped linearly over the warm-up. */
export function klWeightOf(c: TrainConfig): (step: number) => number {
  return (step) => (c.klWarmup > 0 ? c.beta * Math.min(1, step / c.klWarmup) : c.beta);
}

export function architectureOf(c: TrainConfig): VaeArchitecture {
  return {
    D: c.D,
    hidden: c.hidden,
    Z: c.latent,
    activation: c.activation,
    likelihood: c.likelihood,
    minLogVariance: c.minLogVariance,
    arch: c.arch,
    imageShape: c.imageShape,
  };
}

export function optimizerOf(c: TrainConfig): OptimizerConfig {
  const base = DEFAULT_OPTIMIZERS[c.optimizer];
  return { ...base, lr: c.lr ?? base.lr, weightDecay: c.weightDecay };
}

/** The learning rate of step t (1-based): the optimizer's rate through the config's schedule. */
export function learningRateOf(c: TrainConfig): (step: number) => number {
  const lr = optimizerOf(c).lr;
  return (step) => learningRateAt(c.lrSchedule, lr, step);
}
