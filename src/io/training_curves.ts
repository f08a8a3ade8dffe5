/**
 * The training-curve chart of a run (curves.png of `aevb train`, lower_bound.png of `aevb paper`) from the
 * records of its metrics.jsonl: one series per kind of ELBO record, against samples seen. Platform-neutral.
 */
import type { ChartSeries, LineChart } from './line_chart.ts';

/** A metrics.jsonl record: `type` says which ELBO it carries and under which key. */
export type MetricsRecord = { type: string; samples?: number } & Record<string, unknown>;

/**
 * How much of the previous smoothed value each minibatch ELBO keeps: β of an exponential moving average
 * (TensorBoard's smoothing, bias-corrected as Adam's moments are, so the first points are not pulled to 0).
 * One minibatch's ELBO is one noisy sample; 0.9 averages about the last ten read-backs.
 */
export const MINIBATCH_SMOOTHING = 0.9;

/** The ELBO series a run can log, in legend order: record type, the key of its ELBO, the legend's name. */
export const CURVES = [
  { type: 'train', key: 'elbo', name: `train minibatches (moving average, β = ${MINIBATCH_SMOOTHING})` },
  { type: 'train_bound', key: 'train_elbo', name: 'train' },
  { type: 'validation', key: 'validation_elbo', name: 'validation' },
  { type: 'test', key: 'test_elbo', name: 'test' },
] as const;

export type CurveType = (typeof CURVES)[number]['type'];

export interface TrainingCurvesOptions {
  title: string;
  /** Which record types to draw (default: all that the records hold). */
  types?: CurveType[];
  /** Default 'auto': log x when the samples span a factor of 100 or more. */
  xScale?: LineChart['xScale'];
}

/** The chart of the records' ELBO curves; series with no records are left out. */
export function trainingCurvesChart(records: MetricsRecord[], o: TrainingCurvesOptions): LineChart {
  const series: ChartSeries[] = [];
  for (const curve of CURVES) {
    if (o.types !== undefined && !o.types.includes(curve.type)) continue;
    const points = records
      .filter((r) => r.type === curve.type && typeof r.samples === 'number' && typeof r[curve.key] === 'number')
      .map((r): [number, number] => [r.samples as number, r[curve.key] as number]);
    if (points.length > 0)
      series.push({
        name: curve.name,
        points: curve.type === 'train' ? smoothed(points, MINIBATCH_SMOOTHING) : points,
      });
  }
  if (series.length === 0) {
    const wanted = CURVES.filter((c) => o.types === undefined || o.types.includes(c.type)).map(
      (c) => `${c.type}.${c.key}`,
    );
    throw new Error(`aevb: no ELBO records to plot for '${o.title}' (looked for ${wanted.join(', ')} with samples)`);
  }
  return {
    title: o.title,
    xLabel: 'training samples seen',
    yLabel: 'ELBO (nats per datapoint)',
    series,
    xScale: o.xScale ?? 'auto',
  };
}

/** The bias-corrected exponential moving average of the points' y values: m_t = β m_(t−1) + (1 − β) y_t, shown m_t / (1 − βᵗ). */
export function smoothed(points: [number, number][], beta: number): [number, number][] {
  let average = 0;
  let weight = 0;
  return points.map(([x, y]) => {
    average = beta * average + (1 - beta) * y;
    weight = beta * weight + (1 - beta);
    return [x, average / weight];
  });
}
