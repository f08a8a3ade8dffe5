/**
 * What a minibatch becomes as the input of its step: dynamically binarized (every value p ∈ [0, 1] becomes 1
 * with probability p, else 0), dequantized ((k + u)/256 for the byte k), or left as it is. The uniforms of
 * step t come from Philox(seed, counter = t, the binarization or dequantization stream): fresh at every step,
 * identical on a replay or a resume. In place (a minibatch belongs to the pipeline that cut it), with one
 * reused buffer of uniforms: a long run makes no garbage here.
 */
import { philoxUniforms } from '../random/philox.ts';
import { RANDOM_STREAMS } from '../random/streams.ts';
import { dequantizeValues } from '../data/dequantization.ts';

export type StepInputKind = 'binarized' | 'dequantized' | 'values';

export class StepInput {
  private uniforms = new Float64Array(0);

  constructor(readonly kind: StepInputKind, private readonly seed: number) {}

  /** The kind a run's settings ask for; binarizing and dequantizing together is refused. */
  static of(options: { binarize: boolean; dequantize: boolean }, seed: number): StepInput {
    if (options.binarize && options.dequantize) throw new Error('aevb: dequantization keeps grey levels: it cannot follow binarization (pass --no-binarize)');
    return new StepInput(options.binarize ? 'binarized' : options.dequantize ? 'dequantized' : 'values', seed);
  }

  /** Turns `data` into the input of step `step`, in place, and returns it. */
  prepare(data: Float32Array, step: number): Float32Array {
    if (this.kind === 'values') return data;
    // Binarizing would make NaN a 0 and ±Inf a 1 or 0 without a word: such a batch goes on as it is, and the
    // trainer refuses it in its turn, naming its step.
    if (this.kind === 'binarized' && !data.every(Number.isFinite)) return data;
    if (this.uniforms.length < data.length) this.uniforms = new Float64Array(data.length);
    const stream = this.kind === 'binarized' ? RANDOM_STREAMS.binarization : RANDOM_STREAMS.dequantization;
    const u = philoxUniforms(this.seed, step, stream, data.length, this.uniforms);
    if (this.kind === 'dequantized') return dequantizeValues(data, u);
    for (let k = 0; k < data.length; k++) data[k] = u[k] < data[k] ? 1 : 0;
    return data;
  }
}
