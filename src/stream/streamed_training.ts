import { defer, Observable, take, type OperatorFunction } from 'rxjs';
import { Demand } from './demand.ts';
import type { PositionedBatch } from './positioned_batch.ts';
import { trainingStream, type TrainingStreamOptions } from './training_stream.ts';

/** What the sink needs of a trainer (Trainer has it; tests give a stand-in without a GPU). */
export interface StepSink {
  /** Queues one step; resolves with its step number once the batch has a place on the GPU side. */
  enqueueStep(batch: Float32Array): Promise<number>;
  /** Resolves when every queued step has run. */
  settle(): Promise<void>;
}

/** A minibatch whose step has been queued, with where the streamed run's time has gone so far. */
export interface TrainedBatch extends PositionedBatch {
  /** Milliseconds, since the stream was subscribed, that the trainer sat with nothing to train on. */
  waitingForDataMs: number;
  /** Milliseconds since the stream was subscribed. */
  elapsedMs: number;
}

export interface StreamedTrainingOptions extends TrainingStreamOptions {
  /** Train at most this many steps (default: until the stream ends). */
  maxSteps?: number;
  /** Awaited before each batch's step is queued (the previous steps' state is complete on the GPU side). */
  beforeStep?: (batch: PositionedBatch) => void | Promise<void>;
  /**
   * Awaited after each step is queued and before the next one is: a checkpoint taken here sees exactly this
   * step's state, because no other step can be queued meanwhile.
   */
  afterStep?: (batch: PositionedBatch) => void | Promise<void>;
}

/**
 * The data pipeline (training_stream.ts) joined to a trainer: each minibatch becomes one training step, at the
 * trainer's pace. While a batch waits for a free upload slot the source stops reading, so memory holds at most
 * the trainer's R batches plus the batches cut from one source block, however fast the source is. The
 * back-pressure signal between the two ends is made here, per subscription: no caller wires it. Emits every
 * batch once its step is queued and completes once the GPU has run them all. Unsubscribing stops taking
 * batches (steps already queued still run).
 *
 * @example
 * streamedTraining(trainer, { source, B: 100, seed: 1, shuffleWindowRows: 60_000, binarize: true, epochs: 1, start: STREAM_START })
 *   .subscribe((b) => console.log(b.step));
 */
export function streamedTraining(trainer: StepSink, options: StreamedTrainingOptions): Observable<TrainedBatch> {
  return defer(() => {
    const demand = new Demand();
    const batches = trainingStream(options, demand);
    const limited = options.maxSteps === undefined ? batches : batches.pipe(take(options.maxSteps));
    return limited.pipe(trainOnGpu(trainer, demand, options));
  });
}

/**
 * The join itself: the sink pauses `demand` while it holds a batch it cannot hand to the GPU yet. Used through
 * streamedTraining, which creates the one Demand both ends share (exported for the back-pressure tests only).
 */
export function trainOnGpu(
  trainer: StepSink,
  demand: Demand,
  hooks: Pick<StreamedTrainingOptions, 'beforeStep' | 'afterStep'> = {},
): OperatorFunction<PositionedBatch, TrainedBatch> {
  return (source) => new Observable<TrainedBatch>((subscriber) => {
    const queue: PositionedBatch[] = [];
    const started = performance.now();
    let waitingForDataMs = 0;
    let idleSince: number | null = started;
    let pumping = false;
    let sourceDone = false;
    let closed = false;
    const pump = async () => {
      if (pumping) return;
      pumping = true;
      try {
        while (queue.length > 0 && !closed) {
          const batch = queue.shift()!;
          await hooks.beforeStep?.(batch);
          await trainer.enqueueStep(batch.data);
          await hooks.afterStep?.(batch);
          subscriber.next({ ...batch, waitingForDataMs, elapsedMs: performance.now() - started });
        }
        if (sourceDone && !closed) {
          await trainer.settle();
          subscriber.complete();
        }
      } catch (error) {
        subscriber.error(error);
      } finally {
        pumping = false;
        idleSince = performance.now();
        demand.resume();
      }
    };
    const subscription = source.subscribe({
      next(batch) {
        if (idleSince !== null) waitingForDataMs += performance.now() - idleSince;
        idleSince = null;
        queue.push(batch);
        demand.pause();
        void pump();
      },
      error: (e) => subscriber.error(e),
      complete() {
        sourceDone = true;
        void pump();
      },
    });
    return () => {
      closed = true;
      subscription.unsubscribe();
      demand.resume();
    };
  });
}
