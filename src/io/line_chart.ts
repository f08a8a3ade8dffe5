/**
 * Line charts as SVG text: training curves (ELBO against samples seen) with a title, titled axes, nice ticks
 * whose labels are all distinct, light grid lines, and a legend. Platform-neutral (a page can put the SVG
 * straight into the DOM); src/io/line_chart_png.node.ts rasterises it to PNG in Node.
 *
 * Tick positions and their number formats come from d3-scale (d3's `ticks`/`nice`/`tickFormat`: round steps
 * of 1, 2 or 5 × 10ᵏ, a precision just fine enough to tell neighbouring ticks apart, SI suffixes for large
 * values such as 60k, and 1-2-…-9 minor ticks on a log axis). The layout is ours: it is small and fixed.
 */
import { scaleLinear, scaleLog } from 'd3-scale';

export interface ChartSeries {
  /** Shown in the legend. */
  name: string;
  /** [x, y] pairs; drawn in x order. A non-finite y leaves a gap in the line. */
  points: Array<[number, number]>;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  /** 'auto' (default): log when every x is > 0 and they span a factor of 100 or more, else linear. */
  xScale?: 'log' | 'linear' | 'auto';
  /** Size in CSS pixels (default 800 × 480). */
  width?: number;
  height?: number;
}

export interface Tick {
  value: number;
  /** '' for an unlabelled (minor) tick, which gets a grid line only. */
  label: string;
}

/** Where everything goes: computed once, drawn by lineChartSvg, checked by the tests. */
export interface ChartLayout {
  width: number;
  height: number;
  xScale: 'log' | 'linear';
  /** The plot area in pixels. */
  plot: { left: number; top: number; right: number; bottom: number };
  xDomain: [number, number];
  yDomain: [number, number];
  xTicks: Tick[];
  yTicks: Tick[];
  /** Baseline of the x axis title. */
  xTitleY: number;
  /** The chart's title as drawn: shortened in the middle (…) when it would not fit the chart's width. */
  title: string;
  /** The legend's box, in a corner of the plot that no curve passes under, else under the x axis title; each
   * item's (x, y) is the left end of its line sample, on the middle of its row. */
  legend: { x: number; y: number; width: number; height: number; items: Array<{ x: number; y: number }> };
  toX(x: number): number;
  toY(y: number): number;
}

const FONT = "'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif";
const SIZE = { title: 17, axisTitle: 14, tick: 12, legend: 13 };
/** Advance of an average character in DejaVu Sans, in em (its digits are 0.636 em wide). */
const CHAR_EM = 0.64;
/** Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies; dashes tell series apart in grey. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const DASHES = ['', '7 4', '2 3', '9 3 2 3'];
const MARKERS_UP_TO = 40;

const textWidth = (text: string, size: number) => text.length * size * CHAR_EM;

/** Bold text runs wider than the average advance CHAR_EM: a title is measured with this much more. */
const BOLD_WIDENING = 1.1;

/**
 * `title` as it fits centred on `centre` within a chart `width` wide (8 px clear of each edge): whole, or with
 * its middle replaced by '…', keeping its start (what the data is) and its end (the model), so a long data path
 * no longer runs off both sides.
 */
export function fittedTitle(title: string, centre: number, width: number): string {
  const room = 2 * Math.min(centre, width - centre) - 16;
  const fits = (text: string) => textWidth(text, SIZE.title) * BOLD_WIDENING <= room;
  if (fits(title)) return title;
  const chars = [...title];
  for (let keep = chars.length - 1; keep > 1; keep--) {
    const head = Math.ceil(keep / 2);
    const text = `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (keep - head)).join('')}`;
    if (fits(text)) return text;
  }
  return '…';
}

/** Positions, ticks and scales of `chart`; throws for a chart it cannot draw, naming the series. */
export function lineChartLayout(chart: LineChart): ChartLayout {
  const width = chart.width ?? 800;
  const height = chart.height ?? 480;
  const finite = chart.series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  if (finite.length === 0) throw new Error(`aevb: the chart '${chart.title}' has no finite points to plot`);
  for (const s of chart.series) {
    const bad = s.points.find(([x]) => !Number.isFinite(x));
    if (bad) throw new Error(`aevb: chart '${chart.title}', series '${s.name}': x must be finite, got ${bad[0]}`);
  }
  const xs = finite.map(([x]) => x);
  const ys = finite.map(([, y]) => y);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const mode = chart.xScale ?? 'auto';
  const log = mode === 'log' || (mode === 'auto' && x0 > 0 && x1 / x0 >= 100);
  if (log) {
    const negative = chart.series.find((s) => s.points.some(([x]) => x <= 0));
    if (negative)
      throw new Error(`aevb: chart '${chart.title}', series '${negative.name}': a log x axis needs every x > 0`);
  }

  // y: padded by 4% (a constant series by ±1) without crossing 0 when the data doesn't, then widened to round
  // tick values.
  const pad = y1 > y0 ? 0.04 * (y1 - y0) : Math.max(1, Math.abs(y0) * 0.05);
  const y = scaleLinear()
    .domain([y0 >= 0 ? Math.max(0, y0 - pad) : y0 - pad, y1 <= 0 ? Math.min(0, y1 + pad) : y1 + pad])
    .nice(6);
  const yDomain = y.domain() as [number, number];
  const yTicks = distinct(y.ticks(6), y.tickFormat(6));

  // Margins follow from the widest y label; the x axis is then laid out in the plot's width.
  const yLabelWidth = Math.max(...yTicks.map((t) => textWidth(t.label, SIZE.tick)));
  const plot = {
    left: Math.ceil(12 + SIZE.axisTitle + 10 + yLabelWidth + 8),
    top: 44,
    right: width - 24,
    bottom: height - 56,
  };
  y.range([plot.bottom, plot.top]);
  const toY = (v: number) => y(v);
  if (x0 === x1) [x0, x1] = log ? [x0 / 2, x1 * 2] : [x0 - 1, x1 + 1];
  const x = log ? logAxis(x0, x1, plot.left, plot.right) : linearAxis(x0, x1, plot.left, plot.right);

  // The legend goes in a corner of the plot that no curve passes through; when every corner is taken, the
  // plot gets shorter and the legend's items flow in rows under the x axis title.
  let legend = freeCorner(chart.series, plot, x.toX, toY);
  if (legend === null) {
    legend = legendBelow(chart.series, plot.left, plot.right);
    plot.bottom -= legend.height + 8;
    y.range([plot.bottom, plot.top]);
    const top = height - 8 - legend.height;
    legend = { ...legend, y: top, items: legend.items.map((item) => ({ x: item.x, y: item.y + top })) };
  }
  const xTitleY = plot.bottom + 42;
  return {
    width,
    height,
    xScale: log ? 'log' : 'linear',
    plot,
    xDomain: x.domain,
    yDomain,
    xTicks: x.ticks,
    yTicks,
    xTitleY,
    title: fittedTitle(chart.title, (plot.left + plot.right) / 2, width),
    legend,
    toX: x.toX,
    toY,
  };
}

interface Axis {
  domain: [number, number];
  ticks: Tick[];
  toX(v: number): number;
}

function logAxis(x0: number, x1: number, left: number, right: number): Axis {
  const margin = 0.02 * Math.log10(x1 / x0); // in decades: keeps end markers off the frame
  const x = scaleLog()
    .domain([x0 / 10 ** margin, x1 * 10 ** margin])
    .range([left, right]);
  return {
    domain: x.domain() as [number, number],
    ticks: thin(distinct(x.ticks(), x.tickFormat(8, '~s')), x, SIZE.tick),
    toX: (v) => x(v),
  };
}

function linearAxis(x0: number, x1: number, left: number, right: number): Axis {
  // Padded by 2% so end points sit inside the frame, but never below 0 when every x is ≥ 0 (counts).
  const pad = 0.02 * (x1 - x0);
  const x = scaleLinear()
    .domain([x0 >= 0 ? Math.max(0, x0 - pad) : x0 - pad, x1 + pad])
    .nice(8)
    .range([left, right]);
  const domain = x.domain() as [number, number];
  const big = Math.max(Math.abs(domain[0]), Math.abs(domain[1])) >= 1e4;
  const format = x.tickFormat(8, big ? '~s' : undefined);
  // d3 gives every tick the same SI prefix, which would make 0 read '0k'.
  return {
    domain,
    ticks: thin(
      distinct(x.ticks(8), (v) => (v === 0 ? '0' : format(v))),
      x,
      SIZE.tick,
    ),
    toX: (v) => x(v),
  };
}

/** Ticks with their labels, checked distinct: a format that merges two ticks is a bug worth a loud error. */
function distinct(values: number[], format: (v: number) => string): Tick[] {
  const ticks = values.map((value) => ({ value, label: format(value) }));
  const labels = ticks.map((t) => t.label).filter((l) => l !== '');
  if (new Set(labels).size !== labels.length) throw new Error(`aevb: tick labels repeat (${labels.join(', ')})`);
  return ticks;
}

/** Blanks labels that would overlap the previous labelled one (keeping powers of ten on a log axis first). */
function thin(ticks: Tick[], scale: (v: number) => number, size: number): Tick[] {
  const gap = size * 0.8;
  const placed: Array<[number, number]> = [];
  const fits = (t: Tick) => {
    const half = textWidth(t.label, size) / 2 + gap / 2;
    const at = scale(t.value);
    return placed.every(([a, h]) => Math.abs(at - a) >= half + h);
  };
  const isPowerOfTen = (v: number) => v > 0 && Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
  const order = [...ticks.filter((t) => isPowerOfTen(t.value)), ...ticks.filter((t) => !isPowerOfTen(t.value))];
  const keep = new Set<Tick>();
  for (const t of order) {
    if (t.label === '' || !fits(t)) continue;
    keep.add(t);
    placed.push([scale(t.value), textWidth(t.label, size) / 2 + gap / 2]);
  }
  return ticks.map((t) => (keep.has(t) ? t : { value: t.value, label: '' }));
}

const LEGEND_ROW = SIZE.legend + 8;
/** Width of a legend item: the line sample, a gap, the name. */
const itemWidth = (s: ChartSeries) => 28 + 8 + textWidth(s.name, SIZE.legend);

/** The items in rows from left to right between `left` and `right` (box y = 0; the caller moves it). */
function legendBelow(series: ChartSeries[], left: number, right: number): ChartLayout['legend'] {
  const items: Array<{ x: number; y: number }> = [];
  let [cx, row] = [left + 12, 0];
  for (const s of series) {
    if (cx > left + 12 && cx + itemWidth(s) > right - 12) [cx, row] = [left + 12, row + 1];
    items.push({ x: cx, y: 6 + LEGEND_ROW * row + LEGEND_ROW / 2 });
    cx += itemWidth(s) + 24;
  }
  return { x: left, y: 0, width: right - left, height: LEGEND_ROW * (row + 1) + 12, items };
}

/** The first corner of the plot (bottom right first: rising curves leave it empty) that no curve passes under, or null. */
function freeCorner(
  series: ChartSeries[],
  plot: ChartLayout['plot'],
  toX: (v: number) => number,
  toY: (v: number) => number,
): ChartLayout['legend'] | null {
  const width = Math.ceil(12 + Math.max(...series.map(itemWidth)) + 12);
  const height = LEGEND_ROW * series.length + 12;
  const inset = 10;
  const corners = [
    { x: plot.right - inset - width, y: plot.bottom - inset - height },
    { x: plot.right - inset - width, y: plot.top + inset },
    { x: plot.left + inset, y: plot.bottom - inset - height },
    { x: plot.left + inset, y: plot.top + inset },
  ];
  // The curves' points, and points every few pixels along each segment, that would hide under a corner.
  const samples: Array<[number, number]> = [];
  for (const s of series) {
    const p = [...s.points]
      .filter(([, y]) => Number.isFinite(y))
      .sort((a, b) => a[0] - b[0])
      .map(([x, y]) => [toX(x), toY(y)]);
    for (let i = 0; i < p.length; i++) {
      if (i === 0) {
        samples.push([p[0][0], p[0][1]]);
        continue;
      }
      const [[ax, ay], [bx, by]] = [p[i - 1], p[i]];
      const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / 3));
      for (let k = 1; k <= n; k++) samples.push([ax + ((bx - ax) * k) / n, ay + ((by - ay) * k) / n]);
    }
  }
  const free = (c: { x: number; y: number }) =>
    !samples.some(([x, y]) => x >= c.x - 6 && x <= c.x + width + 6 && y >= c.y - 6 && y <= c.y + height + 6);
  const corner = corners.find(free);
  if (corner === undefined) return null;
  const items = series.map((_, i) => ({ x: corner.x + 12, y: corner.y + 6 + LEGEND_ROW * i + LEGEND_ROW / 2 }));
  return { ...corner, width, height, items };
}

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (v: number) => +v.toFixed(2);

/** The chart as a standalone SVG document. */
export function lineChartSvg(chart: LineChart): string {
  const L = lineChartLayout(chart);
  const { plot } = L;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${L.height}" viewBox="0 0 ${L.width} ${L.height}" font-family="${escape(FONT)}">`,
  );
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(
    `<defs><clipPath id="plot-area"><rect x="${plot.left}" y="${plot.top}" ` +
      `width="${plot.right - plot.left}" height="${plot.bottom - plot.top}"/></clipPath></defs>`,
  );
  out.push(
    `<text x="${f((plot.left + plot.right) / 2)}" y="28" font-size="${SIZE.title}" ` +
      `font-weight="bold" text-anchor="middle" fill="#111">${escape(L.title)}</text>`,
  );

  // Grid lines at every tick (minor ones fainter), then the frame over them.
  for (const t of L.xTicks) {
    const x = f(L.toX(t.value));
    out.push(
      `<line x1="${x}" y1="${plot.top}" x2="${x}" y2="${plot.bottom}" stroke="${t.label === '' ? '#f0f0f0' : '#dddddd'}" stroke-width="1"/>`,
    );
  }
  for (const t of L.yTicks) {
    const y = f(L.toY(t.value));
    out.push(`<line x1="${plot.left}" y1="${y}" x2="${plot.right}" y2="${y}" stroke="#dddddd" stroke-width="1"/>`);
  }
  out.push(
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#333" stroke-width="1"/>`,
  );

  // Tick marks and labels.
  for (const t of L.xTicks) {
    const x = f(L.toX(t.value));
    out.push(
      `<line x1="${x}" y1="${plot.bottom}" x2="${x}" y2="${plot.bottom + (t.label === '' ? 3 : 6)}" stroke="#333"/>`,
    );
    if (t.label !== '')
      out.push(
        `<text x="${x}" y="${plot.bottom + 8 + SIZE.tick}" font-size="${SIZE.tick}" text-anchor="middle" fill="#222">${escape(t.label)}</text>`,
      );
  }
  for (const t of L.yTicks) {
    const y = f(L.toY(t.value));
    out.push(`<line x1="${plot.left - 6}" y1="${y}" x2="${plot.left}" y2="${y}" stroke="#333"/>`);
    out.push(
      `<text x="${plot.left - 9}" y="${f(y + SIZE.tick * 0.36)}" font-size="${SIZE.tick}" text-anchor="end" fill="#222">${escape(t.label)}</text>`,
    );
  }

  // Axis titles.
  out.push(
    `<text x="${f((plot.left + plot.right) / 2)}" y="${f(L.xTitleY)}" font-size="${SIZE.axisTitle}" ` +
      `text-anchor="middle" fill="#111">${escape(chart.xLabel)}${L.xScale === 'log' ? ' (log scale)' : ''}</text>`,
  );
  const yMid = f((plot.top + plot.bottom) / 2);
  out.push(
    `<text transform="translate(${12 + SIZE.axisTitle} ${yMid}) rotate(-90)" ` +
      `font-size="${SIZE.axisTitle}" text-anchor="middle" fill="#111">${escape(chart.yLabel)}</text>`,
  );

  // Series: one path per unbroken run of finite points, markers when there are few points.
  chart.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const dash = DASHES[i % DASHES.length];
    const sorted = [...s.points].sort((a, b) => a[0] - b[0]);
    const runs: string[][] = [[]];
    for (const [x, y] of sorted) {
      if (Number.isFinite(y)) runs[runs.length - 1].push(`${f(L.toX(x))},${f(L.toY(y))}`);
      else if (runs[runs.length - 1].length > 0) runs.push([]);
    }
    const d = runs
      .filter((r) => r.length > 1)
      .map((r) => `M${r.join('L')}`)
      .join('');
    const dashAttr = dash === '' ? '' : ` stroke-dasharray="${dash}"`;
    // Lines are clipped to the plot area; markers, always inside the domain, are left whole at its edges.
    if (d !== '')
      out.push(
        `<path d="${d}" clip-path="url(#plot-area)" fill="none" stroke="${colour}" ` +
          `stroke-width="2.2" stroke-linejoin="round" stroke-linecap="round"${dashAttr}/>`,
      );
    const finite = sorted.filter(([, y]) => Number.isFinite(y));
    if (finite.length <= MARKERS_UP_TO) {
      for (const [x, y] of finite)
        out.push(`<circle cx="${f(L.toX(x))}" cy="${f(L.toY(y))}" r="3.2" fill="${colour}"/>`);
    }
  });

  // Legend: a white box in the emptiest corner, one row per series with its line style.
  const { legend } = L;
  out.push(
    `<rect x="${f(legend.x)}" y="${f(legend.y)}" width="${legend.width}" ` +
      `height="${legend.height}" fill="#ffffff" fill-opacity="0.92" stroke="#bbbbbb" rx="3"/>`,
  );
  chart.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const dash = DASHES[i % DASHES.length];
    const { x, y: cy } = legend.items[i];
    out.push(
      `<line x1="${f(x)}" y1="${f(cy)}" x2="${f(x + 28)}" y2="${f(cy)}" stroke="${colour}" ` +
        `stroke-width="2.2"${dash === '' ? '' : ` stroke-dasharray="${dash}"`}/>`,
    );
    out.push(
      `<text x="${f(x + 36)}" y="${f(cy + SIZE.legend * 0.36)}" font-size="${SIZE.legend}" fill="#111">${escape(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}
