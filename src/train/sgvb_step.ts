/**
 * One SGVB training step (estimator A or B; L samples per datapoint are L copies of its row) as a fixed plan
 * of kernel launches, built once and
 * replayed: forward, ELBO, backward and optimizer update are encoded into ONE command buffer and submitted
 * with no CPU wait. The minibatch mean ELBO / KL / log p land in `metrics` on the GPU; reading them is the
 * caller's (asynchronous, occasional) business.
 *
 * Shapes (docs/conventions.md): x (B, D); encoder activations (B, H_i); raw, stats (B, 2Z); ε, z (B, Z);
 * decoder activations (B, H_i); logits (B, D). Gradients of activations hold ∂loss/∂(pre-activation).
 */
import type { GpuContext } from '../gpu/device.ts';
import { encodeDispatches, type KernelDispatch } from '../kernels/kernel.ts';
import { denseBackwardInput, denseBackwardWeight } from '../kernels/matmul.ts';
import { columnSum } from '../kernels/column_sum.ts';
import { gaussianHeadBackward } from '../kernels/gaussian_head.ts';
import { reparameterizeBackward } from '../kernels/reparameterize.ts';
import { klDivergence } from '../kernels/kl_divergence.ts';
import { mcKl } from '../kernels/mc_kl.ts';
import { iwaeWeights } from '../kernels/iwae_weights.ts';
import { scaleRows } from '../kernels/scale_rows.ts';
import { elboMean, ELBO_METRICS } from '../kernels/elbo_mean.ts';
import type { OptimizerKernel } from '../kernels/optimizer.ts';
import { decoderOutputs, vaeLayers, type DenseLayer } from '../model/vae_architecture.ts';
import { VaeForward } from '../model/vae_forward.ts';
import { BufferSet } from '../model/buffer_set.ts';
import { tensorIn, type ModelBuffers } from '../model/model_buffers.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import { DECODER_LOG_VARIANCE } from '../model/parameter_layout.ts';
import { createOptimizer, type OptimizerConfig } from './optimizer_config.ts';


export interface SgvbStepOptions {
  /** Minibatch size. */
  B: number;
  optimizer: OptimizerConfig;
  /** The run's seed: ε of step t is Philox(seed, t, stream 0). */
  seed: number | bigint;
  /** 'philox' (training) or 'fixed': ε is whatever the caller wrote into `forward.eps` (tests). */
  noise?: 'philox' | 'fixed';
  /** β of step t, the weight of the KL term (KL warm-up, β-VAE); default 1, the ELBO itself. */
  klWeight?: (step: number) => number;
  /** The learning rate of step t (a schedule); default the optimizer's constant rate. */
  learningRate?: (step: number) => number;
  /** The paper's SGVB estimator: 'B' (default) analytic KL, 'A' Monte-Carlo KL at the sampled z. */
  estimator?: 'A' | 'B';
  /**
   * k ≥ 2: train on the importance-weighted bound (IWAE) over groups of k consecutive rows (one datapoint's k
   * samples); B must be a multiple of k. The KL is then estimator A's and β does not apply.
   */
  iwaeSamples?: number;
}

export class SgvbStep {
  /** The model trained: its parameters are updated in place. */
  readonly model: ModelBuffers;
  /** (P): ∂loss/∂params of the last step, laid out as the parameters. */
  readonly grads: GPUBuffer;
  readonly optimizerState: Record<string, GPUBuffer>;
  /** The forward pass: `forward.encoder.x` is the minibatch (B, D) written by submit(), `forward.eps` is ε. */
  readonly forward: VaeForward;
  /** (3): mean ELBO, KL, log p(x|z) of the last step (ELBO_METRICS). */
  readonly metrics: GPUBuffer;
  /** Steps completed so far; the next step is number `step + 1`. */
  step = 0;
  readonly B: number;
  private readonly ctx: GpuContext;
  private readonly dispatches: KernelDispatch[];
  private readonly optimizer: OptimizerKernel;
  private readonly kl: { setScale(scale: number): void };
  /** β of step t: the weight of the KL term in the loss (1 = the ELBO). */
  private readonly klWeight: (step: number) => number;
  private readonly learningRate: (step: number) => number;
  private readonly buffers: BufferSet;

  constructor(model: ModelBuffers, options: SgvbStepOptions) {
    const ctx = model.gpu;
    this.ctx = ctx;
    this.model = model;
    this.klWeight = options.klWeight ?? (() => 1);
    this.learningRate = options.learningRate ?? (() => options.optimizer.lr);
    const { B } = options;
    const { architecture: arch, layout } = model;
    const { Z } = arch;
    this.B = B;
    const P = layout.P;
    const noise = (options.noise ?? 'philox') === 'philox' ? { seed: options.seed, stream: RANDOM_STREAMS.latentNoise } : null;
    const iwae = options.iwaeSamples ?? 0;
    if (iwae !== 0 && (!Number.isInteger(iwae) || iwae < 2 || B % iwae !== 0)) {
      throw new Error(`aevb: the IWAE objective needs k ≥ 2 samples dividing the minibatch rows, got k=${iwae} for B=${B}`);
    }
    const f = new VaeForward(model, { B, noise, label: 'train', likelihoodScale: iwae ? 1 : undefined });
    this.forward = f;
    this.buffers = new BufferSet(ctx);
    const own = (label: string, floats: number) => this.buffers.storage(label, floats);
    this.grads = own('grads', P);
    this.metrics = own('metrics', ELBO_METRICS.count);
    const optimizer = createOptimizer(ctx, options.optimizer, P, model.params, this.grads);
    this.optimizer = optimizer.kernel;
    this.optimizerState = optimizer.state;
    const tensor = (source: GPUBuffer, name: string) => tensorIn(layout, source, name);
    const x = f.encoder.x, raw = f.encoder.raw, stats = f.encoder.stats, z = f.decoder.z;
    const klRows = own('kl', B);
    const dStats = own('dStats', B * 2 * Z);

    const layers = vaeLayers(arch);
    const dz = own('dz', B * Z);
    const dRaw = own('dRaw', B * 2 * Z);
    const encoderGrad = layers.encoder.map((l) => own(`${l.name} dPre`, B * l.outputs));
    const decoderGrad = layers.decoder.map((l) => own(`${l.name} dPre`, B * l.outputs));
    const d: KernelDispatch[] = [...f.dispatches];
    // IWAE: the per-row weights come from the forward values, before any gradient is carried back.
    const rowScale = iwae ? own('iwae row scale', B) : null;
    const mc = iwae || options.estimator === 'A'
      ? mcKl(ctx, { B, Z, scale: this.klWeight(1) / B, z: { buffer: z }, eps: { buffer: f.eps }, stats: { buffer: stats }, kl: { buffer: klRows },
        dz: { buffer: dz }, dStats: { buffer: dStats }, rowScale: rowScale ? { buffer: rowScale } : undefined })
      : null;
    if (rowScale !== null) {
      d.push(mc!.value, iwaeWeights(ctx, { B: B / iwae, k: iwae, scale: iwae / B, logp: { buffer: f.logp }, kl: { buffer: klRows }, rowScale: { buffer: rowScale }, bound: { buffer: own('iwae bound', B / iwae) } }));
      d.push(scaleRows(ctx, { R: B, N: decoderOutputs(arch), a: { buffer: f.dLogits }, rowScale: { buffer: rowScale } }, 'iwae scale dLogits'));
      if (f.dLogVarRows !== null) d.push(scaleRows(ctx, { R: B, N: arch.D, a: { buffer: f.dLogVarRows }, rowScale: { buffer: rowScale } }, 'iwae scale dLogVar'));
    }
    // Gradients of a layer whose ∂loss/∂pre is dPre: its weight and bias, and (optionally) the gradient into its
    // input, already multiplied by the derivative of the activation that produced that input.
    const backward = (l: DenseLayer, input: GPUBuffer, inputActivation: DenseLayer['activation'], dPre: GPUBuffer, dInput: GPUBuffer | null) => {
      d.push(denseBackwardWeight(ctx, { B, inputs: l.inputs, outputs: l.outputs, x: { buffer: input }, dPre: { buffer: dPre }, dWeight: tensor(this.grads, `${l.name}.weight`) }, `${l.name} dW`));
      d.push(columnSum(ctx, { M: B, N: l.outputs, a: { buffer: dPre }, out: tensor(this.grads, `${l.name}.bias`) }, `${l.name} db`));
      if (dInput !== null) {
        d.push(denseBackwardInput(ctx, { B, inputs: l.inputs, outputs: l.outputs, dPre: { buffer: dPre }, weight: tensor(model.params, `${l.name}.weight`),
          x: { buffer: input }, dx: { buffer: dInput }, inputActivation }, `${l.name} dX`));
      }
    };

    // Backward through the decoder: each layer's input is the previous decoder output, or z for the first.
    const decoderInput = (i: number) => (i === 0 ? z : f.decoder.hidden[i - 1]);
    const decoderInputActivation = (i: number) => (i === 0 ? 'identity' as const : layers.decoder[i - 1].activation);
    const nDec = layers.decoder.length;
    backward(layers.out, decoderInput(nDec), decoderInputActivation(nDec), f.dLogits, nDec === 0 ? dz : decoderGrad[nDec - 1]);
    for (let i = nDec - 1; i >= 0; i--) {
      backward(layers.decoder[i], decoderInput(i), decoderInputActivation(i), decoderGrad[i], i === 0 ? dz : decoderGrad[i - 1]);
    }
    // Through the latent layer: reparameterisation writes dStats, the KL adds its own gradient — estimator B's
    // analytic KL after it; estimator A's Monte-Carlo KL partly before it (through z) and partly after.
    const reparameterize = reparameterizeBackward(ctx, { B, Z, stats: { buffer: stats }, eps: { buffer: f.eps }, dz: { buffer: dz }, dStats: { buffer: dStats } });
    if (mc === null) {
      const kl = klDivergence(ctx, { B, Z, scale: this.klWeight(1) / B, stats: { buffer: stats }, kl: { buffer: klRows }, dStats: { buffer: dStats } });
      d.push(reparameterize, kl.dispatch);
      this.kl = kl;
    } else {
      d.push(mc.forward, reparameterize, mc.direct);
      this.kl = mc;
    }
    d.push(gaussianHeadBackward(ctx, { B, Z, raw: { buffer: raw }, dStats: { buffer: dStats }, dRaw: { buffer: dRaw } }));
    // Backward through the encoder; nothing needs ∂loss/∂x.
    const nEnc = layers.encoder.length;
    const encoderInput = (i: number) => (i === 0 ? x : f.encoder.hidden[i - 1]);
    const encoderInputActivation = (i: number) => (i === 0 ? 'identity' as const : layers.encoder[i - 1].activation);
    backward(layers.head, encoderInput(nEnc), encoderInputActivation(nEnc), dRaw, nEnc === 0 ? null : encoderGrad[nEnc - 1]);
    for (let i = nEnc - 1; i >= 0; i--) {
      backward(layers.encoder[i], encoderInput(i), encoderInputActivation(i), encoderGrad[i], i === 0 ? null : encoderGrad[i - 1]);
    }

    if (f.dLogVarRows !== null) {
      d.push(columnSum(ctx, { M: B, N: arch.D, a: { buffer: f.dLogVarRows }, out: tensor(this.grads, DECODER_LOG_VARIANCE) }, 'decoder.logvar grad'));
    }
    d.push(elboMean(ctx, { B, logp: { buffer: f.logp }, kl: { buffer: klRows }, metrics: { buffer: this.metrics } }));
    d.push(this.optimizer.dispatch);
    this.dispatches = d;
  }

  /** The launches of one step, in order (for benchmarks and debugging). */
  get plan(): readonly KernelDispatch[] {
    return this.dispatches;
  }

  /** Records one step into `encoder` (uploads and uniforms are the caller's: see submit()). */
  encode(encoder: GPUCommandEncoder): void {
    encodeDispatches(encoder, this.dispatches, 'sgvb step');
  }

  /**
   * Queues one step whose input is put in place by `recordInput` (e.g. a copy from an upload-ring slot into
   * `forward.x`): sets the step's uniforms and submits ONE command buffer — input, step, and whatever `extra`
   * records after it (a metrics copy). Returns at once; the GPU runs it in order with everything before it.
   */
  submitWith(recordInput: (encoder: GPUCommandEncoder) => void, extra?: (encoder: GPUCommandEncoder) => void): void {
    const next = this.step + 1;
    this.forward.noise?.setStep(next);
    this.optimizer.setStep(next, this.learningRate(next));
    this.kl.setScale(this.klWeight(next) / this.B);
    const encoder = this.ctx.device.createCommandEncoder({ label: `sgvb step ${next}` });
    recordInput(encoder);
    this.encode(encoder);
    extra?.(encoder);
    this.ctx.device.queue.submit([encoder.finish()]);
    this.step = next;
  }

  /** Queues one step on `batch` (B·D floats, row-major), uploaded with a queue write. */
  submit(batch: Float32Array, extra?: (encoder: GPUCommandEncoder) => void): void {
    this.checkBatch(batch);
    this.ctx.device.queue.writeBuffer(this.forward.encoder.x, 0, batch);
    this.submitWith(() => {}, extra);
  }

  /** Throws unless `batch` holds exactly B·D floats. */
  checkBatch(batch: Float32Array): void {
    const { D } = this.model.architecture;
    const expected = this.B * D;
    if (batch.length !== expected) throw new Error(`aevb: a minibatch must hold B·D = ${this.B}·${D} = ${expected} floats, got ${batch.length}`);
  }

  /** Frees the step's buffers and the optimizer state; the model's parameters stay (they are the model's). */
  destroy(): void {
    this.forward.destroy();
    this.buffers.destroy();
    for (const b of Object.values(this.optimizerState)) b.destroy();
  }
}
