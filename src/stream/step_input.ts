/**
 * What a minibatch becomes as the input of its step, as float32 values in [0, 1]: scaled (bytes × 1/255),
 * then dynamically binarized (every value p becomes 1 with probability p, else 0), dequantized ((k + u)/256 for
 * the byte k), or left as it is. The uniforms of step t come from Philox(seed, counter = t, the binarization or
 * dequantization stream): fresh at every step, identical on a replay or a resume. One pass over the
 * minibatch into one reused buffer: a long run makes no garbage here. This is the CPU's way, and the oracle
 * the GPU's step_input kernel is tested against.
 */
import { philoxUniforms } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import { dequantizeValues } from '../data/dequantization.ts';
import type { Minibatch } from './minibatch.ts';

export type StepInputKind = 'binarized' | 'dequantized' | 'values';

export class StepInput {
  private uniforms = new Float64Array(0);
  private out = new Float32Array(0);
  /** The float32 value of each byte at the last scale seen: exactly what scaling one byte at a time gives. */
  private levels = new Float32Array(256);
  private levelsScale = NaN;

  constructor(
    readonly kind: StepInputKind,
    private readonly seed: number,
  ) {}

  /** The kind a run's settings ask for; binarizing and dequantizing together is refused. */
  static of(options: { binarize: boolean; dequantize: boolean }, seed: number): StepInput {
    if (options.binarize && options.dequantize)
      throw new Error('aevb: dequantization keeps grey levels: it cannot follow binarization (pass --no-binarize)');
    return new StepInput(options.binarize ? 'binarized' : options.dequantize ? 'dequantized' : 'values', seed);
  }

  /**
   * The input of step `step` for `batch`: a Float32Array of the batch's length, valid until the next call
   * (the buffer is reused). A batch holding NaN or ±Inf is passed on scaled but otherwise as it is (binarizing
   * would make NaN a 0 without a word): the trainer refuses it in its turn, naming its step.
   */
  prepare(batch: Minibatch, step: number): Float32Array {
    const n = batch.data.length;
    if (this.out.length !== n) this.out = new Float32Array(n);
    const x = this.scaled(batch);
    if (
      this.kind === 'values' ||
      (this.kind === 'binarized' && !(batch.data instanceof Uint8Array) && !x.every(Number.isFinite))
    )
      return x;
    if (this.uniforms.length < n) this.uniforms = new Float64Array(n);
    const stream = this.kind === 'binarized' ? RANDOM_STREAMS.binarization : RANDOM_STREAMS.dequantization;
    const u = philoxUniforms(this.seed, step, stream, n, this.uniforms);
    if (this.kind === 'dequantized') return dequantizeValues(x, u);
    for (let k = 0; k < n; k++) x[k] = u[k] < x[k] ? 1 : 0;
    return x;
  }

  /** The batch's values × scale as float32, into the reused buffer. */
  private scaled(batch: Minibatch): Float32Array {
    const x = this.out;
    if (batch.data instanceof Uint8Array) {
      if (this.levelsScale !== batch.scale) {
        for (let k = 0; k < 256; k++) this.levels[k] = k * batch.scale;
        this.levelsScale = batch.scale;
      }
      const { data } = batch;
      const levels = this.levels;
      for (let k = 0; k < data.length; k++) x[k] = levels[data[k]];
    } else if (batch.scale === 1) {
      x.set(batch.data);
    } else {
      for (let k = 0; k < batch.data.length; k++) x[k] = batch.data[k] * batch.scale;
    }
    return x;
  }
}
