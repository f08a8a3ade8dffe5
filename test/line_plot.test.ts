// The plot of `aevb paper` (src/io/line_plot.ts, tiny_font.ts): series land where their values say, dashed
// series leave gaps, text is drawn, and an empty plot is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { linePlot } from '../src/io/line_plot.ts';
import { drawText, textWidth } from '../src/io/tiny_font.ts';

test('a rising solid series darkens pixels from bottom left to top right of the plot area', () => {
  const image = linePlot([{ label: 'TEST', points: [[1e5, -150], [1e6, -110], [1e7, -100]], grey: 0, dash: [1, 0] }], { logX: true });
  const at = (x: number, y: number) => image.pixels[y * image.width + x];
  // Plot area: left 70, right width−20, top 20, bottom height−50; the y range has 5% padding.
  const bottom = image.height - 50;
  const column = (x: number) => Array.from({ length: bottom - 20 }, (_, i) => 20 + i).filter((y) => at(x, y) === 0);
  const left = column(75);
  const right = column(image.width - 25);
  assert.ok(left.length > 0 && right.length > 0, 'the series reaches both ends');
  assert.ok(Math.min(...right) < Math.min(...left), 'it ends higher than it starts');
});

test('a dashed series leaves gaps; an empty plot is refused', () => {
  const solid = linePlot([{ label: 'A', points: [[0, 0], [10, 0]], grey: 0, dash: [1, 0] }]);
  const dashed = linePlot([{ label: 'A', points: [[0, 0], [10, 0]], grey: 0, dash: [3, 3] }]);
  const dark = (img: { pixels: Uint8Array }) => img.pixels.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
  assert.ok(dark(dashed) < dark(solid));
  assert.throws(() => linePlot([{ label: 'A', points: [], grey: 0, dash: [1, 0] }]), /nothing to plot/);
});

test('text: a "1" is three pixels wide at most and the width formula holds', () => {
  const width = 20;
  const pixels = new Uint8Array(width * 12).fill(255);
  drawText(pixels, width, '1', 0, 0, 0, 1);
  assert.is(pixels[0 * width + 1], 0, 'top of the 1');
  assert.is(pixels[4 * width + 0], 0, 'foot of the 1');
  assert.is(pixels[0 * width + 3], 255, 'nothing past 3 columns');
  assert.is(textWidth('10', 2), 14);
});

test.run();
