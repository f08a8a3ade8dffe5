/**
 * The library's front door: a VAE, its optimizer and its device in one object.
 *
 *   const trainer = await Trainer.create({ ...DEFAULT_TRAIN_CONFIG, D: 784 });
 *   await trainer.fit(batches, { onMetrics: (m) => console.log(m.step, m.elbo) });
 *   const { elbo } = await trainer.evaluate(testRows);
 *
 * Steps are queued without waiting for the GPU, at most `maxInFlight` ahead of it (that bound is what keeps
 * memory flat however long the run); metrics come back asynchronously.
 */
import { acquireDevice, type AcquireOptions, type GpuContext } from '../gpu/device.ts';
import { readFloat32 } from '../gpu/buffers.ts';
import { initialParameters } from '../model/initialization.ts';
import { datasetElbo, type ElboResult } from '../eval/test_elbo.ts';
import { MetricsReader, type StepMetrics } from './metrics_reader.ts';
import { SgvbStep } from './sgvb_step.ts';
import { architectureOf, optimizerOf, validateTrainConfig, type TrainConfig } from './train_config.ts';

export interface FitOptions {
  /** Read the minibatch metrics back every this many steps (asynchronously). Default 50. */
  metricsEvery?: number;
  onMetrics?: (m: StepMetrics) => void;
  /** Called after each step is queued (e.g. to advance a progress bar or write a checkpoint). */
  onStep?: (step: number) => void | Promise<void>;
  /** Steps queued ahead of the GPU at most. Default 2. */
  maxInFlight?: number;
}

/** A tensor of a snapshot: name, shape and float32 values. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface TrainerSnapshot {
  config: TrainConfig;
  /** Steps completed. */
  step: number;
  /** Parameters by their layout names, then optimizer state as `optimizer.<state>.<parameter>`. */
  tensors: NamedTensor[];
}

export class Trainer {
  readonly gpu: GpuContext;
  readonly config: TrainConfig;
  private readonly sgvb: SgvbStep;
  private readonly ownsGpu: boolean;
  private readonly inFlight: Promise<unknown>[] = [];

  private constructor(gpu: GpuContext, config: TrainConfig, ownsGpu: boolean) {
    this.gpu = gpu;
    this.config = config;
    this.ownsGpu = ownsGpu;
    this.sgvb = new SgvbStep(gpu, { arch: architectureOf(config), B: config.batch, optimizer: optimizerOf(config), seed: config.seed });
    gpu.device.queue.writeBuffer(this.sgvb.params, 0, initialParameters(this.sgvb.layout, config.init, config.seed));
  }

  /** Validates the config, acquires a device (unless one is given) and initialises the model. */
  static async create(config: TrainConfig, options: { gpu?: GpuContext; acquire?: AcquireOptions } = {}): Promise<Trainer> {
    validateTrainConfig(config);
    const gpu = options.gpu ?? (await acquireDevice(options.acquire));
    try {
      return new Trainer(gpu, config, options.gpu === undefined);
    } catch (error) {
      if (options.gpu === undefined) gpu.destroy();
      throw error;
    }
  }

  /** Steps completed so far. */
  get step(): number {
    return this.sgvb.step;
  }

  get parameterCount(): number {
    return this.sgvb.layout.entries.reduce((n, e) => n + e.size, 0);
  }

  /** Trains one step per minibatch (B·D floats each, values in [0, 1]) until the iterable ends. */
  async fit(batches: Iterable<Float32Array> | AsyncIterable<Float32Array>, options: FitOptions = {}): Promise<void> {
    const every = options.metricsEvery ?? 50;
    const maxInFlight = options.maxInFlight ?? 2;
    let firstBad: StepMetrics | null = null;
    const reader = new MetricsReader(this.gpu, (m) => {
      if (!Number.isFinite(m.elbo) && firstBad === null) firstBad = m;
      options.onMetrics?.(m);
    });
    try {
      for await (const batch of batches) {
        const next = this.sgvb.step + 1;
        const claim = next % every === 0 ? reader.claim(this.sgvb.metrics, next) : null;
        this.sgvb.submit(batch, claim?.record);
        claim?.started();
        this.inFlight.push(this.gpu.device.queue.onSubmittedWorkDone());
        // The back-pressure: never more than maxInFlight steps ahead of the GPU.
        while (this.inFlight.length > maxInFlight) await this.inFlight.shift();
        this.gpu.throwIfFailed();
        if (firstBad !== null) throw nonFinite(firstBad);
        await options.onStep?.(next);
      }
      await this.settle();
      await reader.drain();
      if (firstBad !== null) throw nonFinite(firstBad);
    } finally {
      reader.destroy();
    }
  }

  /** Waits until every queued step has run; throws a device error if one happened. */
  async settle(): Promise<void> {
    await Promise.all(this.inFlight.splice(0));
    await this.gpu.settle();
  }

  /** Mean ELBO, KL and log p(x|z) over `rows` (a multiple of D floats in [0, 1]), in chunks of `chunk` rows. */
  async evaluate(rows: Float32Array, options: { chunk?: number } = {}): Promise<ElboResult> {
    await this.settle();
    return datasetElbo(this.gpu, { arch: architectureOf(this.config), layout: this.sgvb.layout, params: this.sgvb.params }, rows, {
      chunk: options.chunk ?? 1000,
      seed: this.config.seed,
    });
  }

  /** Copies parameters, optimizer state and the step counter back from the GPU. */
  async snapshot(): Promise<TrainerSnapshot> {
    await this.settle();
    const tensors: NamedTensor[] = [];
    const layout = this.sgvb.layout;
    const read = async (buffer: GPUBuffer, prefix: string) => {
      const flat = await readFloat32(this.gpu, { buffer }, layout.P);
      for (const e of layout.entries) tensors.push({ name: `${prefix}${e.name}`, shape: e.shape, data: flat.slice(e.offset, e.offset + e.size) });
    };
    await read(this.sgvb.params, '');
    for (const [name, buffer] of Object.entries(this.sgvb.optimizerState)) await read(buffer, `optimizer.${name}.`);
    return { config: this.config, step: this.sgvb.step, tensors };
  }

  /** Loads a snapshot taken from a trainer with the same config (same shapes); throws naming what differs. */
  async restore(snapshot: TrainerSnapshot, source = 'snapshot'): Promise<void> {
    const layout = this.sgvb.layout;
    const byName = new Map(snapshot.tensors.map((t) => [t.name, t]));
    const write = (buffer: GPUBuffer, prefix: string) => {
      const flat = new Float32Array(layout.P);
      for (const e of layout.entries) {
        const t = byName.get(`${prefix}${e.name}`);
        if (t === undefined) throw new Error(`${source}: has no tensor '${prefix}${e.name}' (shape ${e.shape.join('×')}) that this model needs`);
        if (t.shape.join('×') !== e.shape.join('×')) {
          throw new Error(`${source}: tensor '${prefix}${e.name}' has shape ${t.shape.join('×')}, but this model needs ${e.shape.join('×')}`);
        }
        flat.set(t.data, e.offset);
      }
      return () => this.gpu.device.queue.writeBuffer(buffer, 0, flat);
    };
    // Check everything before writing anything: a bad snapshot leaves the trainer as it was.
    const writes = [write(this.sgvb.params, ''), ...Object.entries(this.sgvb.optimizerState).map(([name, b]) => write(b, `optimizer.${name}.`))];
    await this.settle();
    writes.forEach((w) => w());
    this.sgvb.step = snapshot.step;
  }

  destroy(): void {
    this.sgvb.destroy();
    if (this.ownsGpu) this.gpu.destroy();
  }
}

function nonFinite(m: StepMetrics): Error {
  return new Error(`aevb: the minibatch ELBO became ${m.elbo} at step ${m.step} (KL ${m.kl}, log p ${m.logp}); stopping before it spreads. ` +
    'Try a smaller --lr.');
}
