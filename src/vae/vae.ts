/**
 * A trained or freshly initialised VAE: its architecture and its parameters on the GPU, and everything that
 * only reads them — encode rows to q(z|x), decode latents, sample, reconstruct, evaluate the ELBO, estimate
 * log p(x), count active units. Training is the Trainer's (it holds one Vae plus the optimizer).
 *
 *   const vae = await Vae.fromCheckpoint(checkpoint);          // parameters only, no optimizer state
 *   const { mu, logVar } = await vae.encode(rows);              // rows: n × D floats in [0, 1]
 *   const images = await vae.decode(mu);                        // decoder means, n × D
 *   vae.destroy();
 *
 * Every method queues its GPU work after whatever was queued before (a training step included) and reads
 * back only its result.
 */
import { acquireDevice, type AcquireOptions, type GpuContext } from '../gpu/device.ts';
import { createStorageBuffer, readFloat32 } from '../gpu/buffers.ts';
import { columnSum } from '../kernels/column_sum.ts';
import { submitDispatches } from '../kernels/kernel.ts';
import { ACTIVATIONS, type Activation } from '../kernels/activation.ts';
import { datasetElbo, type ElboResult } from '../eval/dataset_elbo.ts';
import { importanceSampledLogPx, type LogPxResult } from '../eval/importance_sampled_log_px.ts';
import { activeUnits, type ActiveUnits } from '../eval/active_units.ts';
import { encodeRows, type EncodedRows } from '../eval/encode_rows.ts';
import { decoderMeans, manifoldLatents, priorLatents, reconstructions } from '../eval/pictures.ts';
import { INIT_SCHEMES, initialParameters, type InitScheme } from '../model/initialization.ts';
import type { ModelBuffers } from '../model/model_buffers.ts';
import { packTensors, unpackTensors, type NamedTensor } from '../model/named_tensors.ts';
import { DECODER_LOG_VARIANCE, parameterLayout, type ParameterLayout } from '../model/parameter_layout.ts';
import {
  LIKELIHOODS,
  MIN_LOG_VARIANCE_RANGE,
  vaeLayers,
  type Likelihood,
  type VaeArchitecture,
} from '../model/vae_architecture.ts';
import type { ArchSpec, ImageShape } from '../model/layer_specs.ts';

/** The model's part of a training config (a TrainConfig is one): its shape, its initialisation and its seed. */
export interface ModelConfig {
  /** Data dimension: values per row (784 for MNIST). */
  D: number;
  /** Encoder hidden widths, input side first; the decoder mirrors them. [500] is the paper's MNIST model. */
  hidden: number[];
  /** Latent dimension Z. */
  latent: number;
  /** Activation of the hidden layers. */
  activation: Activation;
  /**
   * p(x|z) (LIKELIHOODS): 'bernoulli' (default, binary data), 'gaussian' (the paper's: the decoder outputs the
   * mean and log σ² of each value, in [0, 1]) or 'gaussian-shared-variance' (one learned log σ² per value).
   */
  likelihood?: Likelihood;
  /** The Gaussian decoders' floor on log σ² (default DEFAULT_MIN_LOG_VARIANCE, ≈ −13.58); ignored by 'bernoulli'. */
  minLogVariance?: number;
  /** The layers as data (src/model/layer_specs.ts): 'mlp' (default), 'conv:C1,C2,…' or a layer list. */
  arch?: ArchSpec;
  /** (C, H, W) of a row for convolutions; absent or null: one channel of √D × √D. */
  imageShape?: ImageShape | null;
  /** Parameter initialisation: pytorch U(±1/√fan_in), glorot, or the paper's N(0, 0.01²). */
  init: InitScheme;
  /** Seeds the initialisation, and the ε of evaluate() / logPx() and the z of sample() unless they are given one. */
  seed: number;
}

/** What a model loads from: a TrainerSnapshot, or anything else with a config and tensors named by the layout. */
export interface ModelSnapshot {
  config: ModelConfig;
  tensors: readonly NamedTensor[];
}

export type { EncodedRows, ElboResult, LogPxResult, ActiveUnits, NamedTensor };

/** Where a Vae's device comes from: one to share (left alive by destroy()), else one acquired and owned. */
export interface VaeOptions {
  gpu?: GpuContext;
  acquire?: AcquireOptions;
}

/** Rows per GPU submission when the model encodes or scores a set, unless told otherwise. */
export const EVAL_CHUNK_ROWS = 1000;

export class Vae implements ModelBuffers {
  readonly gpu: GpuContext;
  readonly config: Readonly<ModelConfig>;
  readonly architecture: VaeArchitecture;
  readonly layout: ParameterLayout;
  /** (P): every parameter at its layout offset (gradients and optimizer moments mirror it). */
  readonly params: GPUBuffer;
  /** Trainable floats (the layout's padding excluded). */
  readonly parameterCount: number;
  private readonly ownsGpu: boolean;

  private constructor(gpu: GpuContext, config: ModelConfig, ownsGpu: boolean) {
    this.gpu = gpu;
    this.config = config;
    this.ownsGpu = ownsGpu;
    this.architecture = modelArchitecture(config);
    this.layout = parameterLayout(this.architecture);
    this.parameterCount = this.layout.entries.reduce((n, e) => n + e.size, 0);
    this.params = createStorageBuffer(gpu, 'params', this.layout.P);
  }

  /** A randomly initialised model (config.init, config.seed). Throws naming the field when the config is invalid. */
  static create(config: ModelConfig, options: VaeOptions = {}): Promise<Vae> {
    return Vae.make(config, options, (vae) =>
      vae.gpu.device.queue.writeBuffer(vae.params, 0, initialParameters(vae.layout, config.init, config.seed)),
    );
  }

  /**
   * The model of a checkpoint (or of a TrainerSnapshot): its config and its parameters; optimizer state in it
   * is left on the CPU side, never allocated. `source` names the checkpoint in errors.
   */
  static fromCheckpoint(
    checkpoint: ModelSnapshot | { snapshot: ModelSnapshot },
    options: VaeOptions & { source?: string } = {},
  ): Promise<Vae> {
    const snapshot = 'snapshot' in checkpoint ? checkpoint.snapshot : checkpoint;
    if (snapshot.config.likelihood === 'gaussian' && snapshot.tensors.some((t) => t.name === DECODER_LOG_VARIANCE)) {
      return Promise.reject(
        new Error(
          `aevb: ${options.source ?? 'checkpoint'} holds a '${DECODER_LOG_VARIANCE}' tensor: it was written when likelihood 'gaussian' meant one ` +
            "learned variance per pixel, which is now 'gaussian-shared-variance' ('gaussian' is the paper's decoder, whose variance depends on z); set its config's likelihood to 'gaussian-shared-variance'",
        ),
      );
    }
    return Vae.make(snapshot.config, options, (vae) =>
      vae.write(packTensors(vae.layout, snapshot.tensors, options.source ?? 'checkpoint')),
    );
  }

  private static async make(config: ModelConfig, options: VaeOptions, fill: (vae: Vae) => void): Promise<Vae> {
    validateModelConfig(config);
    const gpu = options.gpu ?? (await acquireDevice(options.acquire));
    let vae: Vae | null = null;
    try {
      const { D, hidden, latent, activation, likelihood = 'bernoulli', minLogVariance, init, seed } = config;
      const { arch, imageShape } = config;
      vae = new Vae(
        gpu,
        { D, hidden: [...hidden], latent, activation, likelihood, minLogVariance, arch, imageShape, init, seed },
        options.gpu === undefined,
      );
      fill(vae);
      return vae;
    } catch (error) {
      if (vae !== null) vae.destroy();
      else if (options.gpu === undefined) gpu.destroy();
      throw error;
    }
  }

  /** q(z|x) of every row (a multiple of D floats): μ and the soft-bounded log σ², `chunk` rows per GPU pass (default EVAL_CHUNK_ROWS). */
  encode(rows: Float32Array, options: { chunk?: number } = {}): Promise<EncodedRows> {
    return encodeRows(this, rows, { chunk: options.chunk ?? EVAL_CHUNK_ROWS });
  }

  /** Decoder means for the latents `z` (n × Z): Bernoulli probabilities, or the Gaussian decoder's means. */
  decode(z: Float32Array): Promise<Float32Array> {
    return decoderMeans(this, z);
  }

  /** n decoder means for z ~ N(0, I), z drawn from Philox(seed, 0, prior stream); seed defaults to config.seed. */
  sample(n: number, seed = this.config.seed): Promise<Float32Array> {
    return decoderMeans(this, priorLatents(this.architecture.Z, n, seed));
  }

  /** Each row (n × D) decoded from its posterior mean z = μ(x). */
  reconstruct(rows: Float32Array): Promise<Float32Array> {
    return reconstructions(this, rows);
  }

  /** Z = 2 only: decoder means on a side × side grid of z = (Φ⁻¹(u), Φ⁻¹(v)) (Kingma & Welling, figure 4). */
  latentGrid(side: number): Promise<Float32Array> {
    const { Z } = this.architecture;
    if (Z !== 2) throw new Error(`aevb: the latent manifold is drawn for Z = 2 only (this model has Z = ${Z})`);
    return decoderMeans(this, manifoldLatents(side));
  }

  /**
   * Mean ELBO, KL and log p(x|z) over `rows` (a multiple of D floats), nats per datapoint, one z per row from
   * Philox(seed, chunk index, evaluation stream); `chunk` rows per GPU pass (default EVAL_CHUNK_ROWS), seed config.seed.
   */
  evaluate(rows: Float32Array, options: { chunk?: number; seed?: number } = {}): Promise<ElboResult> {
    return datasetElbo(this, rows, { chunk: options.chunk ?? EVAL_CHUNK_ROWS, seed: options.seed ?? this.config.seed });
  }

  /** Importance-sampled log p(x) with k samples per row (Burda et al.'s protocol); `chunk` rows per pass (default 100). */
  logPx(
    rows: Float32Array,
    options: { k: number; chunk?: number; seed?: number; onProgress?: (done: number, total: number) => void },
  ): Promise<LogPxResult> {
    return importanceSampledLogPx(this, rows, {
      k: options.k,
      chunk: options.chunk ?? 100,
      seed: options.seed ?? this.config.seed,
      onProgress: options.onProgress,
    });
  }

  /** Latent dimensions whose posterior mean varies across `rows` (Var > 0.01); `chunk` rows per pass (default EVAL_CHUNK_ROWS). */
  activeUnits(rows: Float32Array, options: { chunk?: number } = {}): Promise<ActiveUnits> {
    return activeUnits(this, rows, { chunk: options.chunk ?? EVAL_CHUNK_ROWS });
  }

  /** The parameters, copied back from the GPU, by their layout names. */
  async parameters(): Promise<NamedTensor[]> {
    return unpackTensors(this.layout, await readFloat32(this.gpu, { buffer: this.params }, this.layout.P));
  }

  /** The parameters as one flat array (P floats, layout order): what write() takes back. */
  flatParameters(): Promise<Float32Array> {
    return readFloat32(this.gpu, { buffer: this.params }, this.layout.P);
  }

  /**
   * Replaces the parameters with `tensors` by layout name (others, like optimizer state, are ignored). Checks
   * everything before writing anything; throws naming `source` and the tensor that is missing or misshapen.
   */
  async load(tensors: readonly NamedTensor[], source = 'tensors'): Promise<void> {
    this.write(packTensors(this.layout, tensors, source));
  }

  /**
   * Replaces the parameters with the mean of `vectors` (each P floats, layout order: other trainers' parameters),
   * computed on the GPU, summed in the order given so every trainer averaging the same vectors gets the same bits;
   * returns the mean.
   */
  async averageOf(vectors: readonly Float32Array[]): Promise<Float32Array> {
    const P = this.layout.P;
    const stacked = new Float32Array(vectors.length * P);
    vectors.forEach((v, k) => {
      if (v.length !== P)
        throw new Error(`aevb: vector ${k} to average holds ${v.length} floats, but this model has P = ${P}`);
      stacked.set(v, k * P);
    });
    const input = createStorageBuffer(this.gpu, 'vectors to average', stacked);
    try {
      submitDispatches(
        this.gpu,
        [
          columnSum(
            this.gpu,
            { M: vectors.length, N: P, a: { buffer: input }, out: { buffer: this.params }, scale: 1 / vectors.length },
            'average parameters',
          ),
        ],
        'average',
      );
      return await readFloat32(this.gpu, { buffer: this.params }, P);
    } finally {
      input.destroy();
    }
  }

  /** Queues the flat parameter values (P floats, layout order) into the GPU buffer. */
  write(flat: Float32Array): void {
    if (flat.length !== this.layout.P)
      throw new Error(`aevb: flat parameters must hold P = ${this.layout.P} floats, got ${flat.length}`);
    this.gpu.device.queue.writeBuffer(this.params, 0, flat);
  }

  /** Frees the parameters, and the device when this model acquired it. */
  destroy(): void {
    this.params.destroy();
    if (this.ownsGpu) this.gpu.destroy();
  }
}

/** The network's shape as the plans read it (latent → Z; the likelihood defaults to bernoulli). */
export function modelArchitecture(config: ModelConfig): VaeArchitecture {
  return {
    D: config.D,
    hidden: config.hidden,
    Z: config.latent,
    activation: config.activation,
    likelihood: config.likelihood ?? 'bernoulli',
    minLogVariance: config.minLogVariance,
    arch: config.arch,
    imageShape: config.imageShape,
  };
}

/** Throws a message naming the field and the value when a model setting is out of range. */
export function validateModelConfig(c: ModelConfig): void {
  const size = (name: string, v: number, max: number) => {
    if (!Number.isInteger(v) || v < 1 || v > max)
      throw new Error(`aevb: ${name} must be an integer from 1 to ${max}, got ${v}`);
  };
  size('D', c.D, 1 << 24);
  c.hidden.forEach((h, i) => size(`hidden[${i}]`, h, 65536));
  size('latent', c.latent, 4096);
  if (!ACTIVATIONS.includes(c.activation))
    throw new Error(`aevb: activation must be one of ${ACTIVATIONS.join(', ')}, got '${c.activation}'`);
  if (!INIT_SCHEMES.includes(c.init))
    throw new Error(`aevb: init must be one of ${INIT_SCHEMES.join(', ')}, got '${c.init}'`);
  if (c.likelihood !== undefined && !LIKELIHOODS.includes(c.likelihood))
    throw new Error(`aevb: likelihood must be one of ${LIKELIHOODS.join(', ')}, got '${c.likelihood}'`);
  const floor = c.minLogVariance;
  if (
    floor !== undefined &&
    !(Number.isFinite(floor) && floor >= MIN_LOG_VARIANCE_RANGE[0] && floor < MIN_LOG_VARIANCE_RANGE[1])
  ) {
    throw new Error(`aevb: minLogVariance must be a number in [${MIN_LOG_VARIANCE_RANGE.join(', ')}), got ${floor}`);
  }
  if (!Number.isSafeInteger(c.seed) || c.seed < 0)
    throw new Error(`aevb: seed must be a non-negative integer, got ${c.seed}`);
  // The layers' shapes: each error names the layer that does not fit.
  vaeLayers(modelArchitecture(c));
}
