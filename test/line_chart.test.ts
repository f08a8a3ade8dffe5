// Line charts (src/io/line_chart.ts, line_chart_png.node.ts, training_curves.ts): tick labels are distinct and
// cover the data's range on both axes, linear or log; the x scale is picked as the data fits; the PNG decodes at
// the expected size with the series' colours and text actually drawn; metrics records become the right series.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode } from 'fast-png';
import {
  fittedTitle,
  lineChartLayout,
  lineChartSvg,
  type ChartLayout,
  type LineChart,
  type Tick,
} from '../src/io/line_chart.ts';
import { renderLineChart } from '../src/io/line_chart_png.node.ts';
import { trainingCurvesChart, type MetricsRecord } from '../src/io/training_curves.ts';
import { overlaidBounds } from '../src/cli/paper_command.node.ts';

const rising = (from: number, to: number, n: number, log: boolean): Array<[number, number]> =>
  Array.from({ length: n }, (_, i) => {
    const t = i / (n - 1);
    const x = log ? from * (to / from) ** t : from + (to - from) * t;
    return [x, -100 - 120 * Math.exp(-4 * t)];
  });

const charts: Record<string, LineChart> = {
  // The case the old plot got wrong: a 6k-sample run whose y values differ in the second decimal.
  'short run, close y values': {
    title: 't',
    xLabel: 'samples',
    yLabel: 'ELBO',
    series: [
      {
        name: 'test',
        points: [
          [600, -213.62],
          [1200, -213.6],
          [6000, -213.55],
        ],
      },
    ],
  },
  'paper, 1e5 to 1e8 samples': {
    title: 't',
    xLabel: 'samples',
    yLabel: 'ELBO',
    series: [
      { name: 'train', points: rising(1e5, 1e8, 60, true) },
      { name: 'test', points: rising(1e5, 1e8, 12, true).map(([x, y]) => [x, y - 2]) },
    ],
  },
  'two decades, minibatch and validation': {
    title: 't',
    xLabel: 'samples',
    yLabel: 'ELBO',
    series: [
      { name: 'train (minibatch)', points: rising(500, 60_000, 120, false) },
      { name: 'validation', points: rising(5000, 60_000, 12, false) },
    ],
  },
  'linear, large x': {
    title: 't',
    xLabel: 'samples',
    yLabel: 'ELBO',
    xScale: 'linear',
    series: [{ name: 'a', points: rising(0, 2_500_000, 30, false) }],
  },
  'one point': { title: 't', xLabel: 'samples', yLabel: 'ELBO', series: [{ name: 'a', points: [[100, -90]] }] },
  'a gap (NaN) and tiny values': {
    title: 't',
    xLabel: 'step',
    yLabel: 'lr',
    series: [
      {
        name: 'a',
        points: [
          [1, 1e-5],
          [2, NaN],
          [3, 3e-5],
          [4, 2e-5],
        ],
      },
    ],
  },
};

/** In pixels: every labelled tick inside the domain, labels distinct, and no end of the axis farther from a label than labels are from each other. */
function checkAxis(
  what: string,
  ticks: Tick[],
  domain: [number, number],
  data: number[],
  toPixel: (v: number) => number,
) {
  const labelled = ticks.filter((t) => t.label !== '');
  assert.ok(labelled.length >= 2, `${what}: at least 2 labelled ticks, got ${labelled.map((t) => t.label)}`);
  assert.is(
    new Set(labelled.map((t) => t.label)).size,
    labelled.length,
    `${what}: labels distinct: ${labelled.map((t) => t.label)}`,
  );
  const [lo, hi] = [Math.min(...domain), Math.max(...domain)];
  for (const v of data) assert.ok(v >= lo && v <= hi, `${what}: data value ${v} inside the axis [${lo}, ${hi}]`);
  const eps = 1e-9 * (hi - lo);
  for (const t of ticks)
    assert.ok(t.value >= lo - eps && t.value <= hi + eps, `${what}: tick ${t.value} inside [${lo}, ${hi}]`);
  const px = labelled.map((t) => toPixel(t.value)).sort((a, b) => a - b);
  const widestGap = Math.max(...px.slice(1).map((p, i) => p - px[i]));
  const [a, b] = [toPixel(domain[0]), toPixel(domain[1])].sort((x, y) => x - y);
  assert.ok(
    px[0] - a <= widestGap + 1 && b - px[px.length - 1] <= widestGap + 1,
    `${what}: labels reach both ends of the axis (${a}…${b}, labels at ${px.map(Math.round)})`,
  );
}

test('ticks: distinct labels that cover the data on both axes, for every kind of chart', () => {
  for (const [name, chart] of Object.entries(charts)) {
    const layout = lineChartLayout(chart);
    const points = chart.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
    checkAxis(
      `${name}, x`,
      layout.xTicks,
      layout.xDomain,
      points.map(([x]) => x),
      layout.toX,
    );
    checkAxis(
      `${name}, y`,
      layout.yTicks,
      layout.yDomain,
      points.map(([, y]) => y),
      layout.toY,
    );
  }
});

test('the x scale: log when x spans a factor of 100 or more, unless asked; large values get SI suffixes', () => {
  const scale = (c: LineChart) => lineChartLayout(c).xScale;
  assert.is(scale(charts['paper, 1e5 to 1e8 samples']), 'log');
  assert.is(scale(charts['two decades, minibatch and validation']), 'log'); // 500 … 60 000
  assert.is(scale(charts['short run, close y values']), 'linear'); // 600 … 6000
  assert.is(scale({ ...charts['short run, close y values'], xScale: 'log' }), 'log');
  assert.is(scale({ ...charts['paper, 1e5 to 1e8 samples'], xScale: 'linear' }), 'linear');
  const paper = lineChartLayout(charts['paper, 1e5 to 1e8 samples'])
    .xTicks.filter((t) => t.label !== '')
    .map((t) => t.label);
  for (const label of ['100k', '1M', '10M', '100M']) assert.ok(paper.includes(label), `${label} among ${paper}`);
  const large = lineChartLayout(charts['linear, large x']).xTicks.map((t) => t.label);
  assert.equal(large.slice(0, 2), ['0', '0.5M'], 'zero is 0, not 0M');
  const y = lineChartLayout(charts['short run, close y values']).yTicks.map((t) => t.label);
  assert.ok(y.includes('−213.60'), `y labels resolve the second decimal: ${y}`);
});

test('the legend sits in a plot corner no curve passes under, else below the x axis title', () => {
  const inside = lineChartLayout(charts['two decades, minibatch and validation']);
  const { legend, plot } = inside;
  assert.ok(
    legend.x >= plot.left &&
      legend.x + legend.width <= plot.right &&
      legend.y >= plot.top &&
      legend.y + legend.height <= plot.bottom,
    'inside the plot',
  );
  for (const s of charts['two decades, minibatch and validation'].series) {
    for (const [x, y] of s.points) {
      const [px, py] = [inside.toX(x), inside.toY(y)];
      assert.not.ok(
        px >= legend.x && px <= legend.x + legend.width && py >= legend.y && py <= legend.y + legend.height,
        `(${x}, ${y}) is not hidden by the legend`,
      );
    }
  }
  // Curves through all four corners: a rising and a falling line, each from edge to edge.
  const crossing: LineChart = {
    title: 't',
    xLabel: 'x',
    yLabel: 'y',
    series: [
      {
        name: 'up',
        points: [
          [0, 0],
          [10, 10],
        ],
      },
      {
        name: 'down',
        points: [
          [0, 10],
          [10, 0],
        ],
      },
    ],
  };
  const below = lineChartLayout(crossing);
  assert.ok(
    below.legend.y > below.xTitleY && below.legend.y + below.legend.height <= below.height,
    'under the x axis title, inside the image',
  );
  assert.is(below.legend.items.length, 2);
});

test('charts it cannot draw are refused naming the series', () => {
  assert.throws(
    () => lineChartLayout({ title: 'empty', xLabel: '', yLabel: '', series: [{ name: 'a', points: [] }] }),
    /chart 'empty' has no finite points/,
  );
  assert.throws(
    () =>
      lineChartLayout({
        title: 'c',
        xLabel: '',
        yLabel: '',
        xScale: 'log',
        series: [
          {
            name: 'from zero',
            points: [
              [0, 1],
              [10, 2],
            ],
          },
        ],
      }),
    /series 'from zero': a log x axis needs every x > 0/,
  );
  assert.throws(
    () =>
      lineChartLayout({
        title: 'c',
        xLabel: '',
        yLabel: '',
        series: [
          {
            name: 'inf',
            points: [
              [Infinity, 1],
              [10, 2],
            ],
          },
        ],
      }),
    /series 'inf': x must be finite/,
  );
});

test('the SVG holds the title, axis titles and legend, escaped', () => {
  const svg = lineChartSvg({
    title: 'β < 1 & more',
    xLabel: 'training samples',
    yLabel: 'ELBO (nats)',
    series: [
      {
        name: 'train "bound"',
        points: [
          [1, 2],
          [3, 4],
        ],
      },
    ],
  });
  for (const text of ['β &lt; 1 &amp; more', 'training samples', 'ELBO (nats)', 'train &quot;bound&quot;'])
    assert.ok(svg.includes(text), text);
});

/** Pixels of the RGBA image within `tolerance` of the colour `hex`, inside the box. */
function countColour(
  image: { width: number; data: ArrayLike<number> },
  hex: string,
  box: { x0: number; y0: number; x1: number; y1: number },
  tolerance = 40,
): number {
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      const p = 4 * (y * image.width + x);
      if (rgb.every((c, k) => Math.abs(image.data[p + k] - c) <= tolerance)) n++;
    }
  }
  return n;
}

test('the PNG decodes at the chart size (twice that at scale 2), with both series and the text drawn', () => {
  const chart = { ...charts['two decades, minibatch and validation'], title: 'Lower bound per datapoint' };
  const layout: ChartLayout = lineChartLayout(chart);
  const image = decode(renderLineChart(chart));
  assert.equal([image.width, image.height, image.channels, image.depth], [800, 480, 4, 8]);
  const { plot } = layout;
  const inside = { x0: plot.left + 2, y0: plot.top + 2, x1: plot.right - 2, y1: plot.bottom - 2 };
  assert.ok(countColour(image, '#0072B2', inside) > 300, 'the first series is drawn in blue');
  assert.ok(countColour(image, '#D55E00', inside) > 100, 'the second series is drawn in vermillion');
  // Text: dark glyph pixels in the title band, under the x axis and left of the y axis (no font, no text).
  const dark = (box: { x0: number; y0: number; x1: number; y1: number }) => countColour(image, '#111111', box, 90);
  const title = dark({ x0: 0, y0: 0, x1: 800, y1: plot.top - 4 });
  assert.ok(title > 200, `the title: ${title} dark pixels`);
  assert.ok(
    dark({ x0: plot.left, y0: plot.bottom + 8, x1: plot.right, y1: 480 }) > 150,
    'x tick labels and the x title',
  );
  assert.ok(dark({ x0: 0, y0: plot.top, x1: plot.left - 8, y1: plot.bottom }) > 150, 'y tick labels and the y title');
  const big = decode(renderLineChart(chart, 2));
  assert.equal([big.width, big.height], [1600, 960]);
});

test("metrics records become the run's ELBO series, in legend order; a run with none is refused", () => {
  const records: MetricsRecord[] = [
    { type: 'start' },
    { type: 'train', step: 10, samples: 1000, elbo: -200 },
    { type: 'train', step: 20, samples: 2000, elbo: -150 },
    { type: 'test', samples: 2000, test_elbo: -155 },
    { type: 'train_bound', samples: 2000, train_elbo: -152 },
    { type: 'validation', samples: 2000, validation_elbo: -154 },
  ];
  const all = trainingCurvesChart(records, { title: 'run' });
  assert.equal(
    all.series.map((s) => s.name),
    ['train minibatches (moving average, β = 0.9)', 'train', 'validation', 'test'],
  );
  // The minibatch ELBOs smoothed: the first as it is (bias-corrected), the second weighted 0.9 : 0.1 towards it.
  const [b, a] = [0.9, 1 - 0.9];
  assert.equal(all.series[0].points, [
    [1000, (a * -200) / a],
    [2000, (b * (a * -200) + a * -150) / (b * a + a)],
  ]);
  assert.ok(Math.abs(all.series[0].points[1][1] - -173.68) < 0.01);
  const paper = trainingCurvesChart(records, { title: 'paper', types: ['train_bound', 'test'], xScale: 'log' });
  assert.equal(
    paper.series.map((s) => s.name),
    ['train', 'test'],
  );
  assert.is(paper.xScale, 'log');
  assert.throws(
    () => trainingCurvesChart([{ type: 'start' }], { title: 'empty run' }),
    /no ELBO records to plot for 'empty run'/,
  );
});

test("aevb paper --method both: both runs' train and test bounds in one chart, named after their method", () => {
  const run = (test: number): MetricsRecord[] => [
    { type: 'test', samples: 100, test_elbo: test },
    { type: 'train_bound', samples: 100, train_elbo: test + 1 },
  ];
  const chart = overlaidBounds('Figure 2', [
    { name: 'AEVB', records: run(-150) },
    { name: 'wake-sleep', records: run(-170) },
  ]);
  assert.equal(
    chart.series.map((s) => s.name),
    ['AEVB train', 'AEVB test', 'wake-sleep train', 'wake-sleep test'],
  );
  assert.equal(
    chart.series.map((s) => s.points[0][1]),
    [-149, -150, -169, -170],
  );
  assert.is(chart.xScale, 'log');
});

test('a title too long for the chart is shortened in the middle, keeping its start and its end', () => {
  const path = '/home/someone/datasets/mnist/raw/gzipped/train-images-idx3-ubyte.gz';
  const long = `${path}, test ${path.replace('train', 't10k')}: 784-400-20 VAE`;
  const chart = { ...charts['two decades, minibatch and validation'], title: long };
  const L = lineChartLayout(chart);
  assert.ok(L.title.length < long.length, L.title);
  assert.ok(
    L.title.startsWith('/home/someone/') && L.title.endsWith('784-400-20 VAE') && L.title.includes('…'),
    L.title,
  );
  // Centred on the plot, it stays 8 px clear of both edges (the title's bold advance is 1.1 × CHAR_EM × 17 px).
  const half = (L.title.length * 17 * 0.64 * 1.1) / 2;
  const centre = (L.plot.left + L.plot.right) / 2;
  assert.ok(centre - half >= 8 && centre + half <= L.width - 8, `${centre} ± ${half} in ${L.width}`);
  assert.match(lineChartSvg(chart), `>${L.title}</text>`);
  assert.is(lineChartLayout({ ...chart, title: 'MNIST: 784-400-20 VAE' }).title, 'MNIST: 784-400-20 VAE');
  // 84 px of room at 11.97 px a character: 7 characters, the ellipsis one of them.
  assert.is(fittedTitle('abcdefghij', 50, 100), 'abc…hij');
});

test.run();
