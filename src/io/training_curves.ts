/**
 * The training-curve chart of a run (curves.png of `aevb train`, lower_bound.png of `aevb paper`) from the
 * records of its metrics.jsonl: one series per kind of ELBO record, against samples seen. Platform-neutral.
 */
import type { ChartSeries, LineChart } from './line_chart.ts';

/** A metrics.jsonl record: `type` says which ELBO it carries and under which key. */
export type MetricsRecord = { type: string; samples?: number } & Record<string, unknown>;

/** The ELBO series a run can log, in legend order: record type, the key of its ELBO, the legend's name. */
export const CURVES = [
  { type: 'train', key: 'elbo', name: 'train (minibatch)' },
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
    if (points.length > 0) series.push({ name: curve.name, points });
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
