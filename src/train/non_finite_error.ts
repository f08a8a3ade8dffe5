/**
 * The error that stops training at a NaN or ±Inf, wherever it is found: in a minibatch before its step runs
 * (dynamic binarization leaves such a minibatch as it is, rather than make NaN a 0, so the trainer sees it), or
 * by the step's checks on the GPU (first_non_finite.wgsl) in what a finite minibatch produced.
 */
import { earliestNonFinite, type NonFiniteQuantity, type NonFiniteSteps } from '../kernels/first_non_finite.ts';
import { DEFAULT_TRAIN_CONFIG, optimizerOf, type TrainConfig } from './train_config.ts';

/** Where a NonFiniteError came from: the minibatch itself, or the training of finite minibatches. */
export type NonFiniteCause = 'data' | 'training' | 'peers';

/** Training stopped because a value became NaN or ±Inf; `step` is the first step where it happened. */
export class NonFiniteError extends Error {
  /** The first step whose minibatch (origin 'data') or results (origin 'training') were non-finite. */
  readonly step: number;
  readonly origin: NonFiniteCause;
  /** For 'training': the first step at which each quantity was found non-finite; null for 'data' and 'peers'. */
  readonly steps: NonFiniteSteps | null;

  private constructor(message: string, step: number, origin: NonFiniteCause, steps: NonFiniteSteps | null) {
    super(message);
    this.name = 'NonFiniteError';
    this.step = step;
    this.origin = origin;
    this.steps = steps;
  }

  /** The minibatch of `step` holds `value` (`where`: its place in the minibatch); the step was refused before it ran. */
  static inData(step: number, value: number, where: string): NonFiniteError {
    return new NonFiniteError(
      `aevb: the minibatch of step ${step} holds ${value} (${where}): the data is not finite. ` +
        `Step ${step} was not run; the model is still that of step ${step - 1}. Check the data source, or what made its rows.`,
      step,
      'data',
      null,
    );
  }

  /** The GPU's flags found a non-finite loss, parameter or optimizer state after steps whose minibatches were finite. */
  static inTraining(steps: NonFiniteSteps, config: TrainConfig): NonFiniteError {
    const step = earliestNonFinite(steps);
    if (step === null) throw new Error('aevb: NonFiniteError.inTraining needs a flag that is set');
    const advice = divergenceAdvice(config);
    const names: Record<Exclude<NonFiniteQuantity, 'optimizerState'>, string> = {
      loss: 'the minibatch ELBO',
      parameters: 'the parameters',
    };
    const what = (Object.keys(names) as Array<keyof typeof names>)
      .filter((q) => steps[q] === step)
      .map((q) => names[q]);
    if (what.length === 0) {
      // Only the optimizer state, which is checked when the trainer settles rather than at every step.
      return new NonFiniteError(
        `aevb: the optimizer state was found non-finite (NaN or ±Inf) after step ${step}, the parameters and the minibatch ELBO ` +
          `still finite: ${advice}`,
        step,
        'training',
        steps,
      );
    }
    return new NonFiniteError(
      `aevb: ${what.join(' and ')} became non-finite (NaN or ±Inf) at step ${step}, whose minibatch was finite: ${advice}`,
      step,
      'training',
      steps,
    );
  }

  /**
   * The peers' average that `round` wrote into this trainer's parameters holds `value` at parameter `index`,
   * though this trainer's own parameters were finite: a peer sent non-finite parameters, or their sum overflowed.
   */
  static inPeersAverage(step: number, round: number, members: readonly number[], value: number, index: number) {
    return new NonFiniteError(
      `aevb: the peers' average of round ${round}${members.length > 0 ? ` (ranks ${members.join(', ')})` : ''} holds ${value} at parameter ${index}, ` +
        `after step ${step}, whose own parameters were finite: a peer's parameters were not finite (or their sum ` +
        `overflowed float32). The peers' average is to blame, not this run's settings: look at the other ranks' ` +
        `errors; this run's last checkpoint holds finite parameters.`,
      step,
      'peers',
      null,
    );
  }
}

/**
 * What to try after training diverged on finite data: the settings of `config` that scale the gradients beyond
 * their defaults are named first (a β above 1 multiplies the KL term's gradient; weight decay adds λθ, which
 * alone overshoots once lr·λ ≥ 1 with SGD-like steps and overflows float32 with any optimizer when λ is huge),
 * then the learning rate, which scales every step.
 */
export function divergenceAdvice(config: TrainConfig): string {
  const optimizer = optimizerOf(config);
  const suspects: string[] = [];
  if (config.beta > DEFAULT_TRAIN_CONFIG.beta)
    suspects.push(`--beta ${config.beta} (the KL term's weight; 1 is the ELBO)`);
  if (config.weightDecay > DEFAULT_TRAIN_CONFIG.weightDecay)
    suspects.push(
      `--weight-decay ${config.weightDecay} (adds λθ to every gradient; lr·λ = ${optimizer.lr * config.weightDecay})`,
    );
  const run = `training diverged (${optimizer.kind}, lr ${optimizer.lr}`;
  if (suspects.length === 0) return `${run}). Try a smaller --lr.`;
  return (
    `${run}, ${suspects.length > 1 ? 'and ' : ''}${suspects.join(' and ')}). ` +
    `Likely to blame: ${suspects.map((s) => s.split(' (')[0].split(' ')[0]).join(' and ')}; try ${suspects.length > 1 ? 'them' : 'it'} nearer the default first, then a smaller --lr.`
  );
}

/** The index of the first NaN or ±Inf in `values`, or −1. */
export function firstNonFiniteIndex(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    // x − x is 0 for every finite x and NaN for NaN and ±Inf; cheaper than Number.isFinite in this loop.
    const v = values[i];
    if (v - v !== 0) return i;
  }
  return -1;
}
