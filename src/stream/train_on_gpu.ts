import { Observable, type OperatorFunction } from 'rxjs';
import type { Demand } from './demand.ts';
import type { PositionedBatch } from './positioned_batch.ts';

/** What the sink needs of a trainer (Trainer has it; tests give a stand-in without a GPU). */
export interface StepSink {
  /** Queues one step; resolves with its step number once the batch has a place on the GPU side. */
  enqueueStep(batch: Float32Array): Promise<number>;
  /** Resolves when every queued step has run. */
  settle(): Promise<void>;
}

/** Where the time of a streamed run goes, updated as it runs. */
export interface PipelineStats {
  /** Milliseconds the trainer sat with nothing to train on, waiting for the data pipeline. */
  waitingForDataMs: number;
  /** Milliseconds since the first batch was asked for. */
  elapsedMs: number;
}

/**
 * The join of the data pipeline to the GPU: each minibatch becomes one training step (Trainer.enqueueStep,
 * which waits for a free upload-ring slot). While a batch is waiting for a slot, `demand` is paused, so the
 * source stops reading: memory holds at most the ring's R batches plus the batches cut from one source block,
 * however fast the source is. Emits every batch once its step is queued and completes once the GPU has run
 * them all. `afterStep` runs after each step is queued and before the next one is (e.g. to checkpoint).
 * Unsubscribing stops taking batches (steps already queued still run).
 *
 * @example
 * const demand = new Demand();
 * trainingStream({ source, B: 100, … }, demand).pipe(trainOnGpu(trainer, demand)).subscribe();
 */
export function trainOnGpu(
  trainer: StepSink,
  demand: Demand,
  stats?: PipelineStats,
  afterStep?: (batch: PositionedBatch) => void | Promise<void>,
): OperatorFunction<PositionedBatch, PositionedBatch> {
  return (source) => new Observable<PositionedBatch>((subscriber) => {
    const queue: PositionedBatch[] = [];
    const started = performance.now();
    let idleSince: number | null = started;
    let pumping = false;
    let sourceDone = false;
    let closed = false;
    const note = () => {
      if (stats) stats.elapsedMs = performance.now() - started;
    };
    const pump = async () => {
      if (pumping) return;
      pumping = true;
      try {
        while (queue.length > 0 && !closed) {
          const batch = queue.shift()!;
          const step = await trainer.enqueueStep(batch.data);
          if (step !== batch.step) throw new Error(`aevb: the stream is at step ${batch.step} but the trainer at step ${step}: resume the trainer and the stream from the same checkpoint`);
          // Awaited before the next step is queued: a checkpoint taken here sees exactly this step's state.
          await afterStep?.(batch);
          subscriber.next(batch);
        }
        if (sourceDone && !closed) {
          await trainer.settle();
          note();
          subscriber.complete();
        }
      } catch (error) {
        subscriber.error(error);
      } finally {
        pumping = false;
        idleSince = performance.now();
        note();
        demand.resume();
      }
    };
    const subscription = source.subscribe({
      next(batch) {
        if (idleSince !== null && stats) stats.waitingForDataMs += performance.now() - idleSince;
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
