/**
 * The run loop: it owns the one position (epoch, minibatch index; the step is always the trainer's + 1) and
 * pulls minibatches, one pass at a time, from the data side (stream/epoch_batches.ts). A minibatch is asked
 * for only once the previous step is queued, and queuing waits for a free upload slot: the trainer's pace is
 * the back-pressure, with nothing to wire. Everything else a run does is a hook (run_hook.ts) it awaits.
 */
import type { ElboResult } from '../eval/dataset_elbo.ts';
import type { Minibatch } from '../stream/minibatch.ts';
import type { StepInputKind } from '../stream/step_input.ts';
import type { RunContext, RunHook, RunTrainer } from './run_hook.ts';
import type { RunPlan, RunState } from './run_state.ts';
import type { StreamPosition } from './stream_position.ts';
import type { TrainingEvent } from './training_events.ts';
import { Pace } from './pace.ts';

export interface RunLoopOptions {
  trainer: RunTrainer;
  plan: RunPlan;
  start: StreamPosition;
  /** From the run state resumed, if any. */
  stepsPerEpoch: number | null;
  resumed: boolean;
  /** The source's name, for messages. */
  sourceName: string;
  /** The minibatches of pass `epoch`, from its `skip`-th on. */
  batches(epoch: number, skip: number): AsyncIterable<Minibatch>;
  /** What a minibatch becomes as its step's input (binarized, dequantized, as it is). */
  input: StepInputKind;
  evaluationSets: Record<string, Float32Array>;
  evalChunk?: number;
  hooks: RunHook[];
  emit(event: TrainingEvent): void;
  /** A stop that saves (the user's), and the subscriber leaving (no more saving or reporting). */
  stopSignal?: AbortSignal;
  abandonSignal: AbortSignal;
}

type StopReason = 'stopped' | 'early-stopped' | 'abandoned';

export class RunLoop implements RunContext {
  readonly trainer: RunTrainer;
  readonly plan: RunPlan;
  stepsPerEpoch: number | null;
  private epoch: number;
  private index: number;
  private stopReason: StopReason | null = null;
  /** Resolves once a stop of any kind is asked for: a wait for data gives way to it. */
  private readonly halted: Promise<null>;
  private halt!: () => void;
  private scored: { step: number; results: Record<string, ElboResult> } | null = null;

  constructor(private readonly o: RunLoopOptions) {
    this.trainer = o.trainer;
    this.plan = o.plan;
    this.stepsPerEpoch = o.stepsPerEpoch;
    this.epoch = o.start.epoch;
    this.index = o.start.index;
    this.halted = new Promise((resolve) => (this.halt = () => resolve(null)));
    const watch = (signal: AbortSignal | undefined, reason: StopReason) => {
      if (signal?.aborted) this.stop(reason);
      else signal?.addEventListener('abort', () => this.stop(reason), { once: true });
    };
    watch(o.stopSignal, 'stopped');
    watch(o.abandonSignal, 'abandoned');
  }

  /** Trains the plan (or until a stop), then reports `done`. */
  async run(): Promise<void> {
    await this.each((h) => h.start?.(this));
    this.emit({
      type: 'start',
      step: this.trainer.step,
      position: this.position,
      resumed: this.o.resumed,
      stepsPerEpoch: this.stepsPerEpoch,
    });
    while (this.stopReason === null && !this.finished()) {
      const pace = await this.trainEpoch();
      if (this.stopReason !== null) break;
      await this.endEpoch(pace);
    }
    await this.trainer.settle();
    if (this.abandoned) return;
    if (this.stopReason === 'stopped') this.emit({ type: 'stopped', step: this.trainer.step });
    await this.each((h) => h.end?.(this));
    const reason =
      this.stopReason === 'stopped' ? 'stopped' : this.stopReason === 'early-stopped' ? 'early-stopped' : 'finished';
    this.emit({ type: 'done', step: this.trainer.step, samples: this.samples, reason, state: this.state() });
  }

  /** Pulls and trains the rest of the current pass, until it ends, the step budget is spent or a stop. */
  private async trainEpoch(): Promise<Pace> {
    const pace = new Pace(this.trainer.step, this.trainer.config.batch);
    await this.each((h) => h.epochStart?.(this));
    const batches = this.o.batches(this.epoch, this.index)[Symbol.asyncIterator]();
    try {
      while (this.stopReason === null && !this.budgetSpent()) {
        const pending = batches.next();
        pending.catch(() => {}); // a stop may leave it behind: its error, if any, is no longer ours
        const next = await pace.waitingForData(Promise.race([pending, this.halted]));
        if (next === null) break;
        if (next.done) return pace.passEnded();
        if (next.value.D !== this.trainer.config.D) {
          throw new Error(
            `${this.o.sourceName}: rows have ${next.value.D} values, but the model was made ` +
              `for D = ${this.trainer.config.D} (a model is trained on the rows it was made for)`,
          );
        }
        await this.each((h) => h.beforeStep?.(this));
        const step = await this.trainer.enqueueMinibatch(next.value, this.o.input);
        this.index++;
        await this.each((h) => h.afterStep?.(this, next.value));
        this.emit({ type: 'step', step, epoch: this.epoch, index: this.index - 1, ...pace.at(step) });
      }
    } finally {
      void batches.return?.(undefined)?.catch(() => {});
    }
    return pace;
  }

  /** An epoch's end (or the budget's): the position moves to the next pass, evaluation, `epoch`, hooks. */
  private async endEpoch(pace: Pace): Promise<void> {
    const epoch = this.epoch;
    if (pace.ended) {
      if (this.trainer.step === pace.firstStep && this.index === 0)
        throw new Error(`${this.o.sourceName}: an epoch produced no minibatch of ${this.trainer.config.batch} rows`);
      this.stepsPerEpoch ??= this.index;
      this.epoch++;
      this.index = 0;
    }
    const evaluations = this.trainer.step > 0 ? await this.evaluate() : {};
    this.emit({
      type: 'epoch',
      epoch: epoch + 1,
      ended: pace.ended,
      stepsPerEpoch: this.stepsPerEpoch,
      step: this.trainer.step,
      samples: this.samples,
      ...pace.at(this.trainer.step),
      evaluations,
    });
    await this.each((h) => h.epochEnd?.(this));
  }

  get position(): StreamPosition {
    const step = this.trainer.step + 1;
    const past = this.stepsPerEpoch !== null && this.index >= this.stepsPerEpoch;
    return past ? { epoch: this.epoch + 1, index: 0, step } : { epoch: this.epoch, index: this.index, step };
  }

  get abandoned(): boolean {
    return this.stopReason === 'abandoned';
  }

  emit(event: TrainingEvent): void {
    if (!this.abandoned) this.o.emit(event);
  }

  stop(reason: StopReason): void {
    // The first reason stands, except that the subscriber leaving overrides everything: nothing is saved then.
    if (this.stopReason === null || reason === 'abandoned') this.stopReason = reason;
    this.halt();
  }

  async evaluate(): Promise<Record<string, ElboResult>> {
    if (this.scored?.step === this.trainer.step) return this.scored.results;
    const results: Record<string, ElboResult> = {};
    for (const [name, rows] of Object.entries(this.o.evaluationSets))
      results[name] = await this.trainer.evaluate(rows, { chunk: this.o.evalChunk });
    this.scored = { step: this.trainer.step, results };
    if (Object.keys(results).length === 0) return results;
    this.emit({ type: 'evaluation', step: this.trainer.step, samples: this.samples, results });
    await this.each((h) => h.evaluated?.(this, results));
    return results;
  }

  state(): RunState {
    const base: RunState = {
      position: this.position,
      plan: this.plan,
      stepsPerEpoch: this.stepsPerEpoch,
      earlyStopping: null,
    };
    return this.o.hooks.reduce((state, h) => ({ ...state, ...h.state?.(this) }), base);
  }

  async checkpointed(state: RunState): Promise<void> {
    await this.each((h) => h.checkpointed?.(this, state));
  }

  private get samples(): number {
    return this.trainer.step * this.trainer.config.batch;
  }

  private finished(): boolean {
    return this.budgetSpent() || (this.plan.epochs !== null && this.position.epoch >= this.plan.epochs);
  }

  private budgetSpent(): boolean {
    return this.plan.steps !== null && this.trainer.step >= this.plan.steps;
  }

  private async each(call: (hook: RunHook) => void | Promise<void>): Promise<void> {
    for (const hook of this.o.hooks) await call(hook);
  }
}
