/**
 * The library's front door for training: one model (a Vae, `trainer.model`), its optimizer, the upload ring
 * its minibatches go through and the metrics read-back. What only reads the model (evaluate, logPx, …) is the
 * Vae's; the trainer's versions first wait for the queued steps.
 *
 *   const trainer = await Trainer.create({ ...DEFAULT_TRAIN_CONFIG, D: 784 });
 *   await trainer.trainOn(batches, { onMetrics: (m) => console.log(m.step, m.elbo) });
 *   const { elbo } = await trainer.evaluate(testRows);
 *
 * Each minibatch goes into a slot of an upload ring and its step is submitted without waiting for the GPU;
 * only when every slot is still in the GPU's hands does the next step wait. That bound is what keeps memory
 * flat however long the run. Metrics come back asynchronously.
 *
 * Non-finite values stop training at the step where they appear: a minibatch holding NaN or ±Inf is refused
 * before its step runs, and every step ends with a check on the GPU of its loss and parameters
 * (first_non_finite.wgsl) that the trainer reads with every metrics read-back and when it settles (before any
 * snapshot), when it also checks the optimizer state. Either way a NonFiniteError names the step and the
 * cause, and no snapshot ever holds a non-finite value.
 */
import { acquireDevice, type AcquireOptions, type GpuContext } from '../gpu/device.ts';
import { readFloat32 } from '../gpu/buffers.ts';
import { Vae, type ActiveUnits, type ElboResult, type LogPxResult } from '../vae/vae.ts';
import { packTensors, unpackTensors, type NamedTensor } from '../model/named_tensors.ts';
import { MetricsReader, type StepMetrics } from './metrics_reader.ts';
import { earliestNonFinite, type NonFiniteSteps } from '../kernels/first_non_finite.ts';
import { firstNonFiniteIndex, NonFiniteError } from './non_finite_error.ts';
import { UploadRing } from '../gpu/upload_ring.ts';
import { SgvbStep } from './sgvb_step.ts';
import { WakeSleepStep } from './wake_sleep_step.ts';
import type { TrainingStep } from './training_step.ts';
import { StepInput, type StepInputKind } from '../stream/step_input.ts';
import type { Minibatch } from '../stream/minibatch.ts';
import { BYTE_SCALE, paddedBytes, stepInput, type StepInputKernel } from '../kernels/step_input.ts';
import { encodeDispatches } from '../kernels/kernel.ts';
import {
  completeTrainConfig,
  klWeightOf,
  learningRateOf,
  optimizerOf,
  validateTrainConfig,
  type TrainConfig,
} from './train_config.ts';

export type { NamedTensor };
export { NonFiniteError, type NonFiniteCause } from './non_finite_error.ts';

/** Read the minibatch metrics back every this many steps unless told otherwise. */
export const METRICS_EVERY = 50;

/**
 * Whether step `step` (1-based) reads its metrics back: every `every` steps, and before the first of those at
 * steps 1, 2, 4, 8, …, so a run shows an ELBO from its first step (a progress bar, a short run's curve) for
 * log₂(every) more read-backs, each as cheap as the others (never waited for). `every` 0: never.
 */
export function metricsDue(step: number, every: number): boolean {
  if (every <= 0) return false;
  return step % every === 0 || (step < every && (step & (step - 1)) === 0);
}

export interface TrainOnOptions {
  /** Read the minibatch metrics back every this many steps (asynchronously). Default METRICS_EVERY. */
  metricsEvery?: number;
  onMetrics?: (m: StepMetrics) => void;
  /** Called after each step is queued (e.g. to advance a progress bar or write a checkpoint). */
  onStep?: (step: number) => void | Promise<void>;
}

export interface TrainerOptions {
  /** Use this device instead of acquiring one (the trainer then leaves it alive on destroy()). */
  gpu?: GpuContext;
  acquire?: AcquireOptions;
  /** Minibatches that may sit between the CPU and the GPU (upload-ring slots). Default 3. */
  ringSlots?: number;
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
  /** The model trained: its parameters are updated in place by every step. */
  readonly model: Vae;
  /** Read the minibatch metrics back every this many steps (and at the warm-up steps: metricsDue); 0 = never. */
  metricsEvery = METRICS_EVERY;
  /** The step plan: SGVB, or wake-sleep when config.method says so. */
  private readonly sgvb: TrainingStep;
  private readonly ring: UploadRing;
  /** Byte minibatches land here (B·D bytes, padded to whole words) for the step_input kernel. */
  private bytes: GPUBuffer | null = null;
  /** The step_input kernel of each kind asked for, made on first use. */
  private readonly byteInputs = new Map<StepInputKind, StepInputKernel>();
  /** The CPU's way for float minibatches, of each kind asked for. */
  private readonly floatInputs = new Map<StepInputKind, StepInput>();
  private readonly metrics: MetricsReader;
  private readonly listeners = new Set<(m: StepMetrics) => void>();
  private readonly ownsGpu: boolean;
  /** The flags of the first read-back (or settle) that found a non-finite step; cleared by restore(). */
  private nonFinite: NonFiniteSteps | null = null;

  private constructor(model: Vae, config: TrainConfig, options: TrainerOptions) {
    this.gpu = model.gpu;
    this.model = model;
    this.config = config;
    this.ownsGpu = options.gpu === undefined;
    const gpu = this.gpu;
    // L samples per datapoint = every row L times in a minibatch of B·L: the loss averages over all B·L.
    this.sgvb =
      config.method === 'wake-sleep'
        ? new WakeSleepStep(model, {
            B: config.batch * config.samplesPerPoint,
            optimizer: optimizerOf(config),
            seed: config.seed,
            learningRate: learningRateOf(config),
          })
        : new SgvbStep(model, {
            B: config.batch * config.samplesPerPoint,
            optimizer: optimizerOf(config),
            seed: config.seed,
            klWeight: klWeightOf(config),
            learningRate: learningRateOf(config),
            estimator: config.estimator,
            iwaeSamples: config.objective === 'iwae' ? config.samplesPerPoint : 0,
          });
    this.ring = new UploadRing(
      gpu,
      options.ringSlots ?? 3,
      config.batch * config.samplesPerPoint * config.D * 4,
      'minibatch upload',
    );
    this.metrics = new MetricsReader(
      gpu,
      (m, nonFinite) => {
        if (nonFinite !== null && earliestNonFinite(nonFinite) !== null) this.nonFinite ??= nonFinite;
        for (const listener of this.listeners) listener(m);
      },
      this.sgvb.nonFinite,
    );
  }

  /**
   * Fills the fields `partial` leaves out from DEFAULT_TRAIN_CONFIG (so `{ D: 784, latent: 2 }` is enough), validates
   * the config, acquires a device (unless one is given) and initialises the model.
   */
  static async create(partial: Partial<TrainConfig>, options: TrainerOptions = {}): Promise<Trainer> {
    const config = completeTrainConfig(partial);
    validateTrainConfig(config);
    const gpu = options.gpu ?? (await acquireDevice(options.acquire));
    let model: Vae | null = null;
    try {
      // The model shares the trainer's device; the trainer owns the device when it acquired it.
      model = await Vae.create(config, { gpu });
      return new Trainer(model, config, options);
    } catch (error) {
      model?.destroy();
      if (options.gpu === undefined) gpu.destroy();
      throw error;
    }
  }

  /** Steps queued so far (completed or on their way). */
  get step(): number {
    return this.sgvb.step;
  }

  /** Trainable floats of the model. */
  get parameterCount(): number {
    return this.model.parameterCount;
  }

  /** Calls `listener` with every metrics read-back until the returned function is called. */
  watchMetrics(listener: (m: StepMetrics) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Queues one training step on `batch` (B·D floats in [0, 1]). Resolves once the batch is in an upload slot
   * and the step is submitted — which waits only when all slots are still in the GPU's hands. Throws the
   * first device error, or a NonFiniteError: for this minibatch if it holds NaN or ±Inf (its step is not run),
   * or for an earlier step that a metrics read-back found non-finite.
   */
  async enqueueStep(batch: Float32Array): Promise<number> {
    const { batch: B, D, samplesPerPoint: L } = this.config;
    if (batch.length !== B * D)
      throw new Error(`aevb: a minibatch must hold B·D = ${B}·${D} = ${B * D} floats, got ${batch.length}`);
    this.throwIfFailed();
    const bad = firstNonFiniteIndex(batch);
    if (bad >= 0)
      throw NonFiniteError.inData(
        this.sgvb.step + 1,
        batch[bad],
        `row ${Math.floor(bad / D)} of the minibatch, value ${bad % D}`,
      );
    const slot = await this.ring.acquire();
    const bytes = this.ring.write(slot, batch, { rowLength: D, times: L });
    this.submit((encoder) => this.ring.copyTo(encoder, slot, this.sgvb.forward.encoder.x, bytes));
    this.ring.release(slot);
    return this.sgvb.step;
  }

  /**
   * Queues one training step on a minibatch as the data side cuts it (stream/minibatch.ts), made into the
   * step's input of kind `input` (binarized, dequantized, or the values as they are). Bytes (scale 1/255) go
   * to the GPU as bytes, a quarter of the upload, and the step_input kernel scales and binarizes or dequantizes
   * them inside the step's own submission; floats are prepared on the CPU (StepInput): bit for bit the same
   * values either way. Resolves as enqueueStep does.
   */
  async enqueueMinibatch(batch: Minibatch, input: StepInputKind): Promise<number> {
    if (!(batch.data instanceof Uint8Array && batch.scale === BYTE_SCALE)) {
      let cpu = this.floatInputs.get(input);
      if (cpu === undefined) this.floatInputs.set(input, (cpu = new StepInput(input, this.config.seed)));
      return this.enqueueStep(cpu.prepare(batch, this.sgvb.step + 1));
    }
    const { batch: B, D } = this.config;
    if (batch.data.length !== B * D)
      throw new Error(
        `aevb: a minibatch must hold B·D = ${B}·${D} = ${B * D} values (the model's D = ${D}), got ${batch.data.length}`,
      );
    this.throwIfFailed();
    const kernel = this.byteInput(input);
    const slot = await this.ring.acquire();
    this.ring.write(slot, batch.data);
    this.submit((encoder) => {
      this.ring.copyTo(encoder, slot, this.bytes!, paddedBytes(B * D));
      encodeDispatches(encoder, [kernel.dispatch], 'step input');
    });
    this.ring.release(slot);
    return this.sgvb.step;
  }

  /** The step_input kernel of kind `input`, reading the bytes buffer and writing the step's x. */
  private byteInput(input: StepInputKind): StepInputKernel {
    const made = this.byteInputs.get(input);
    if (made !== undefined) return made;
    const { batch: B, D, samplesPerPoint: L, seed } = this.config;
    this.bytes ??= this.gpu.device.createBuffer({
      label: 'minibatch bytes',
      size: paddedBytes(B * D),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    // The kernel's Philox counter is the step number t, which the non-finite flags' uniform holds already.
    const kernel = stepInput(
      this.gpu,
      {
        B,
        D,
        L,
        kind: input,
        seed,
        bytes: { buffer: this.bytes },
        x: { buffer: this.sgvb.forward.encoder.x },
        current: this.sgvb.nonFinite.current,
      },
      `step_input ${input}`,
    );
    this.byteInputs.set(input, kernel);
    return kernel;
  }

  /** Submits the next step with its input recorded by `recordInput`, and the metrics copy when one is due. */
  private submit(recordInput: (encoder: GPUCommandEncoder) => void): void {
    const next = this.sgvb.step + 1;
    const claim = metricsDue(next, this.metricsEvery) ? this.metrics.claim(this.sgvb.metrics, next) : null;
    this.sgvb.submitWith(recordInput, claim?.record);
    claim?.started();
  }

  /**
   * Trains one step per minibatch (B·D floats, used as they are: no binarization) until the iterable ends, then
   * waits for the GPU to finish them. The raw loop under a run: trainingRun adds epochs, shuffling, dynamic
   * binarization, evaluation, checkpoints and resume.
   */
  async trainOn(
    batches: Iterable<Float32Array> | AsyncIterable<Float32Array>,
    options: TrainOnOptions = {},
  ): Promise<void> {
    if (options.metricsEvery !== undefined) this.metricsEvery = options.metricsEvery;
    const stop = options.onMetrics ? this.watchMetrics(options.onMetrics) : () => {};
    try {
      for await (const batch of batches) {
        const step = await this.enqueueStep(batch);
        await options.onStep?.(step);
      }
      await this.settle();
    } finally {
      stop();
    }
  }

  private throwIfFailed(): void {
    this.gpu.throwIfFailed();
    if (this.nonFinite !== null) throw NonFiniteError.inTraining(this.nonFinite, this.config);
  }

  /** Waits until every queued step has run and its metrics are read; throws nothing about their values. */
  private async quiesce(): Promise<void> {
    await this.ring.drain();
    await this.gpu.settle();
    await this.metrics.drain();
  }

  /**
   * Waits until every queued step has run and its metrics are read, then checks the non-finite flags; throws
   * what went wrong, if anything (a NonFiniteError names the first step whose values were not finite).
   */
  async settle(): Promise<void> {
    this.sgvb.checkOptimizerState();
    await this.quiesce();
    this.gpu.throwIfFailed();
    if (this.nonFinite === null && this.sgvb.step > 0) {
      const steps = await this.sgvb.nonFinite.read();
      if (earliestNonFinite(steps) !== null) this.nonFinite = steps;
    }
    this.throwIfFailed();
  }

  /** The model's evaluate() (seeded by the config) once every queued step has run. */
  async evaluate(rows: Float32Array, options: { chunk?: number } = {}): Promise<ElboResult> {
    await this.settle();
    return this.model.evaluate(rows, options);
  }

  /** The model's logPx() (seeded by the config) once every queued step has run. */
  async logPx(
    rows: Float32Array,
    options: { k: number; chunk?: number; onProgress?: (done: number, total: number) => void },
  ): Promise<LogPxResult> {
    await this.settle();
    return this.model.logPx(rows, options);
  }

  /** The model's activeUnits() once every queued step has run. */
  async activeUnits(rows: Float32Array, options: { chunk?: number } = {}): Promise<ActiveUnits> {
    await this.settle();
    return this.model.activeUnits(rows, options);
  }

  /**
   * Copies parameters, optimizer state and the step counter back from the GPU; throws a NonFiniteError instead
   * if any step so far left a non-finite value (so a snapshot, and a checkpoint made from it, is always finite).
   */
  async snapshot(): Promise<TrainerSnapshot> {
    await this.settle();
    const tensors = await this.model.parameters();
    for (const [name, buffer] of Object.entries(this.sgvb.optimizerState)) {
      tensors.push(
        ...unpackTensors(
          this.model.layout,
          await readFloat32(this.gpu, { buffer }, this.model.layout.P),
          `optimizer.${name}.`,
        ),
      );
    }
    return { config: this.config, step: this.sgvb.step, tensors };
  }

  /**
   * Loads a snapshot taken from a trainer with the same config (same shapes); throws naming what differs, or
   * the first non-finite value. Also the way back after a NonFiniteError: the trainer continues from the
   * snapshot (e.g. the last checkpoint) with its non-finite flags cleared.
   */
  async restore(snapshot: TrainerSnapshot, source = 'snapshot'): Promise<void> {
    // Check everything before writing anything: a bad snapshot leaves the trainer as it was.
    const params = packTensors(this.model.layout, snapshot.tensors, source);
    const states = Object.entries(this.sgvb.optimizerState).map(([name, buffer]) => ({
      buffer,
      flat: packTensors(this.model.layout, snapshot.tensors, source, `optimizer.${name}.`),
    }));
    for (const t of snapshot.tensors) {
      const bad = firstNonFiniteIndex(t.data);
      if (bad >= 0)
        throw new Error(
          `${source}: tensor '${t.name}' holds ${t.data[bad]} at index ${bad}; expected finite values (a diverged run's state cannot be restored)`,
        );
    }
    await this.quiesce();
    this.gpu.throwIfFailed();
    this.model.write(params);
    for (const { buffer, flat } of states) this.gpu.device.queue.writeBuffer(buffer, 0, flat);
    this.sgvb.step = snapshot.step;
    this.sgvb.nonFinite.reset();
    this.nonFinite = null;
  }

  destroy(): void {
    this.ring.destroy();
    for (const kernel of this.byteInputs.values()) kernel.destroy();
    this.bytes?.destroy();
    this.metrics.destroy();
    this.sgvb.destroy();
    this.model.destroy();
    if (this.ownsGpu) this.gpu.destroy();
  }
}
