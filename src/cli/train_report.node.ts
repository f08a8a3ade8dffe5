// Node-only: how `aevb train` shows a run — the progress bar, a line per epoch, the metrics log
// (metrics.jsonl) and the training curves (curves.png) — all from the run's events.
import { join } from 'node:path';
import type { RunStepEvent, TrainingEvent } from '../run/training_events.ts';
import type { RunPlan } from '../run/run_state.ts';
import { trainingCurvesChart, type MetricsRecord } from '../io/training_curves.ts';
import { writeLineChart } from '../io/line_chart_png.node.ts';
import { MetricsLog, readMetricsLog } from '../io/metrics_log.node.ts';
import { auxiliaryWrite } from '../io/output_files.node.ts';
import { MissingPeerError } from '../data/optional_peer.node.ts';
import { Progress } from './progress.node.ts';

export const METRICS_FILE = 'metrics.jsonl';
export const CURVES_FILE = 'curves.png';

/**
 * The steps of the epoch that `e` is in, for its bar: the epoch's length, or fewer where the run's step budget
 * ends it sooner; null when neither is known (a first pass over data of unknown length, with no budget).
 */
export function epochSteps(plan: RunPlan, stepsPerEpoch: number | null, e: RunStepEvent): number | null {
  const trainedBefore = e.step - 1 - e.index; // the steps of earlier epochs
  const budget = plan.steps === null ? null : plan.steps - trainedBefore;
  if (budget === null) return stepsPerEpoch;
  return stepsPerEpoch === null ? budget : Math.min(stepsPerEpoch, budget);
}

export class TrainReport {
  /** Where the last checkpoint went. */
  lastCheckpoint = '';
  /** The step the last checkpoint holds (what its file says), or null before one is written. */
  lastCheckpointStep: number | null = null;
  private progress: Progress | null = null;
  /** A Redis stream's last standing for the progress line (stream_report.node.ts), kept for the next epoch's bar. */
  private streamText = '';
  /** The latest minibatch ELBO read back, carried into the next epoch's bar. */
  private lastElbo: number | null = null;
  /** Set once the optional chart renderer (@resvg/resvg-js) is found missing: said once, then not tried again. */
  private noChartRenderer = false;
  private stepsPerEpoch: number | null;
  private readonly metrics: MetricsLog;

  constructor(
    private readonly out: string,
    private readonly plan: RunPlan,
    /** Steps per epoch when the data says so before the run does (the bundled MNIST), for the bar; else null. */
    stepsPerEpoch: number | null,
    private readonly resumedFrom: string | null,
    private readonly warn?: (message: string) => void,
  ) {
    this.stepsPerEpoch = stepsPerEpoch;
    // Opened before the run trains: a log that is a link or damaged before its last line stops it here.
    this.metrics = new MetricsLog(join(out, METRICS_FILE), warn);
  }

  /** Appends one record to metrics.jsonl, stamped with the time (a failed append is a warning). */
  log(record: object): void {
    this.metrics.append({ time: new Date().toISOString(), ...record });
  }

  /**
   * Redraws curves.png from the whole metrics log (a resumed run's earlier epochs included). Auxiliary: a log
   * that cannot be read or a chart that cannot be written is a warning naming the file, and null.
   */
  async writeCurves(title: string): Promise<string | null> {
    // Without the optional chart renderer the run says so once, not at every epoch.
    if (this.noChartRenderer) return null;
    return auxiliaryWrite(() => {
      const records = readMetricsLog(this.metrics.path, this.warn) as MetricsRecord[];
      if (!records.some((r) => r.type === 'train' || r.type === 'test' || r.type === 'validation')) return null;
      const curves = join(this.out, CURVES_FILE);
      try {
        writeLineChart(curves, trainingCurvesChart(records, { title, types: ['train', 'validation', 'test'] }));
      } catch (error) {
        if (error instanceof Error && error.cause instanceof MissingPeerError) this.noChartRenderer = true;
        throw error;
      }
      return curves;
    }, this.warn);
  }

  /**
   * The run's last line: where its checkpoint is and the step that checkpoint holds — the step of the last
   * checkpoint written, not the trainer's (a stop may come after a step was queued past it); `trainerStep` only
   * when no checkpoint was written.
   */
  closingLine(interrupted: boolean, trainerStep: number): string {
    return (
      `${interrupted ? 'interrupted; ' : ''}checkpoint at step ${this.lastCheckpointStep ?? trainerStep}: ` +
      `${this.lastCheckpoint}  (continue with: aevb train --resume ${this.out})`
    );
  }

  /** Closes the metrics log. */
  close(): void {
    this.stop();
    this.metrics.close();
  }

  /** Shows a Redis stream's standing on the progress line (the record goes to metrics.jsonl through log()). */
  stream(text: string): void {
    this.streamText = text;
    this.progress?.stream(text);
  }

  stop(): void {
    this.progress?.stop();
    this.progress = null;
  }

  show(e: TrainingEvent): void {
    switch (e.type) {
      case 'start':
        this.stepsPerEpoch = e.stepsPerEpoch ?? this.stepsPerEpoch;
        if (e.resumed)
          console.log(
            `resuming from ${this.resumedFrom} at step ${e.step} (epoch ${e.position.epoch + 1}, minibatch ${e.position.index + 1})`,
          );
        break;
      case 'step':
        if (this.progress === null)
          this.progress = new Progress(
            e.epoch,
            epochSteps(this.plan, this.stepsPerEpoch, e),
            e.index,
            this.streamText,
            this.lastElbo,
          );
        this.progress.step(e);
        break;
      case 'metrics':
        this.lastElbo = e.elbo;
        this.progress?.metrics(e.elbo);
        this.log({ type: 'train', step: e.step, elbo: e.elbo, kl: e.kl, logp: e.logp, samples: e.samples });
        break;
      case 'evaluation': {
        const v = e.results.validation;
        if (v !== undefined)
          this.log({
            type: 'validation',
            step: e.step,
            samples: e.samples,
            validation_elbo: v.elbo,
            kl: v.kl,
            logp: v.logp,
          });
        break;
      }
      case 'epoch':
        this.epoch(e);
        break;
      case 'checkpoint':
        if (!e.best) {
          this.lastCheckpoint = e.location ?? this.lastCheckpoint;
          this.lastCheckpointStep = e.step;
        }
        this.log({ type: 'checkpoint', step: e.step, path: e.location, best: e.best });
        break;
      case 'stopped':
        this.stop();
        break;
      case 'done':
        this.stop();
        if (e.reason === 'early-stopped') {
          const s = e.state.earlyStopping!;
          console.log(
            `early stop: the validation ELBO has not improved for ${this.plan.earlyStopping?.patience} ` +
              `evaluations; best ${s.best?.toFixed(2)} nats at step ${s.bestStep}`,
          );
        }
        this.log({ type: 'done', step: e.step, reason: e.reason });
        break;
    }
  }

  private epoch(e: Extract<TrainingEvent, { type: 'epoch' }>): void {
    this.stop();
    this.stepsPerEpoch = e.stepsPerEpoch ?? this.stepsPerEpoch;
    const speed = `${e.samplesPerSecond.toFixed(0)} samples/s, waiting for data ${e.waitingForDataPercent.toFixed(1)}% of the time`;
    const { test, validation, train } = e.evaluations;
    const scores = [
      validation && `validation ELBO ${validation.elbo.toFixed(2)}`,
      test && `test ELBO ${test.elbo.toFixed(2)} nats (KL ${test.kl.toFixed(2)}, log p(x|z) ${test.logp.toFixed(2)})`,
    ].filter(Boolean);
    console.log(
      `epoch ${e.epoch}: ${scores.length > 0 ? `${scores.join(', ')} after ` : ''}${e.samples} samples, ${speed}`,
    );
    if (test !== undefined) {
      this.log({
        type: 'test',
        epoch: e.epoch,
        step: e.step,
        samples: e.samples,
        test_elbo: test.elbo,
        kl: test.kl,
        logp: test.logp,
        samples_per_second: e.samplesPerSecond,
        waiting_for_data_percent: e.waitingForDataPercent,
      });
    }
    if (train !== undefined) {
      console.log(`epoch ${e.epoch}: train ELBO ${train.elbo.toFixed(2)} nats (first ${train.rows} training rows)`);
      this.log({
        type: 'train_bound',
        epoch: e.epoch,
        step: e.step,
        samples: e.samples,
        train_elbo: train.elbo,
        rows: train.rows,
      });
    }
  }
}
