/**
 * A small line plot as a grey image: the paper's Figure 2 kind of curve (lower bound per datapoint against
 * training samples, x on a log scale). White background, black axes with labelled ticks, each series drawn
 * in its own grey and dash pattern with a legend. Text uses the 3×5 font of tiny_font.ts.
 */
import type { GreyImage } from './image_grid.ts';
import { drawText, textWidth } from './tiny_font.ts';

export interface Series {
  label: string;
  points: Array<[number, number]>;
  /** Grey level 0 (black) … 200. */
  grey: number;
  /** Pixels on, pixels off; [1, 0] is solid. */
  dash: [number, number];
}

const WIDTH = 640;
const HEIGHT = 420;
const MARGIN = { left: 70, right: 20, top: 20, bottom: 50 };

function compact(v: number): string {
  if (Math.abs(v) >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e3) return `${+(v / 1e3).toFixed(0)}k`;
  return `${+v.toFixed(1)}`;
}

export function linePlot(series: Series[], options: { logX?: boolean } = {}): GreyImage {
  const pixels = new Uint8Array(WIDTH * HEIGHT).fill(255);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) throw new Error('aevb: nothing to plot');
  const fx = (x: number) => (options.logX ? Math.log10(x) : x);
  const xs = all.map(([x]) => fx(x));
  const ys = all.map(([, y]) => y);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => Math.round(MARGIN.left + ((fx(x) - x0) / (x1 - x0)) * plotW);
  const py = (y: number) => Math.round(MARGIN.top + (1 - (y - y0) / (y1 - y0)) * plotH);
  const set = (x: number, y: number, v: number) => {
    if (x >= 0 && x < WIDTH && y >= 0 && y < HEIGHT) pixels[y * WIDTH + x] = v;
  };
  // Axes, ticks and grid.
  for (let x = MARGIN.left; x <= WIDTH - MARGIN.right; x++) set(x, HEIGHT - MARGIN.bottom, 0);
  for (let y = MARGIN.top; y <= HEIGHT - MARGIN.bottom; y++) set(MARGIN.left, y, 0);
  for (let i = 0; i <= 5; i++) {
    const yv = y0 + ((y1 - y0) * i) / 5;
    const y = py(yv);
    for (let x = MARGIN.left + 1; x <= WIDTH - MARGIN.right; x += 4) set(x, y, 210);
    const label = compact(yv);
    drawText(pixels, WIDTH, label, MARGIN.left - 8 - textWidth(label), y - 5, 0);
    const xv = options.logX ? 10 ** (x0 + ((x1 - x0) * i) / 5) : x0 + ((x1 - x0) * i) / 5;
    const x = px(xv);
    for (let yy = MARGIN.top; yy < HEIGHT - MARGIN.bottom; yy += 4) set(x, yy, 210);
    const xl = compact(xv);
    drawText(pixels, WIDTH, xl, x - textWidth(xl) / 2, HEIGHT - MARGIN.bottom + 8, 0);
  }
  // Series: straight segments between points, dashed by arc length, thickened to 2 px.
  series.forEach((s, index) => {
    let run = 0;
    const sorted = [...s.points].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) {
      const [ax, ay] = [px(sorted[i - 1][0]), py(sorted[i - 1][1])];
      const [bx, by] = [px(sorted[i][0]), py(sorted[i][1])];
      const steps = Math.max(Math.abs(bx - ax), Math.abs(by - ay), 1);
      for (let t = 0; t <= steps; t++, run++) {
        if (run % (s.dash[0] + s.dash[1]) >= s.dash[0]) continue;
        const x = Math.round(ax + ((bx - ax) * t) / steps);
        const y = Math.round(ay + ((by - ay) * t) / steps);
        set(x, y, s.grey);
        set(x, y + 1, s.grey);
      }
    }
    for (const [x, y] of sorted) for (let d = -2; d <= 2; d++) { set(px(x) + d, py(y), s.grey); set(px(x), py(y) + d, s.grey); }
    // Legend, bottom right.
    const ly = HEIGHT - MARGIN.bottom - 20 - 16 * index;
    const lx = WIDTH - MARGIN.right - 110;
    for (let x = 0; x < 24; x++) if (x % (s.dash[0] + s.dash[1]) < s.dash[0]) { set(lx + x, ly + 4, s.grey); set(lx + x, ly + 5, s.grey); }
    drawText(pixels, WIDTH, s.label, lx + 30, ly, 0);
  });
  return { width: WIDTH, height: HEIGHT, pixels };
}
