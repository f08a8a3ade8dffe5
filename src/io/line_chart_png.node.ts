/**
 * Node-only: line charts (src/io/line_chart.ts) rasterised to PNG by resvg (@resvg/resvg-js: Rust's resvg
 * with prebuilt binaries in npm packages, no native build, no browser). Text is set in DejaVu Sans, read from
 * the system's font file (Debian: fonts-dejavu-core, installed by .ci/setup) so every machine draws the same
 * glyphs; where no DejaVu file is found the system's sans-serif fonts are used instead.
 */
import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import { lineChartSvg, type LineChart } from './line_chart.ts';
import { writeFileAtomic } from './output_files.node.ts';

/** Where distributions put DejaVu Sans (Debian/Ubuntu, Fedora, Arch, Homebrew). */
const DEJAVU_SANS = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/opt/homebrew/share/fonts/DejaVuSans.ttf',
];

/** The DejaVu Sans file and its bold face, if this machine has them. */
export function dejaVuSansFiles(): string[] {
  const regular = DEJAVU_SANS.find((path) => existsSync(path));
  if (regular === undefined) return [];
  const bold = regular.replace(/DejaVuSans\.ttf$/, 'DejaVuSans-Bold.ttf');
  return existsSync(bold) ? [regular, bold] : [regular];
}

/** The chart as PNG bytes, `scale` × its size in pixels (2 for a sharp image on a high-density screen). */
export function renderLineChart(chart: LineChart, scale = 1): Uint8Array {
  const fontFiles = dejaVuSansFiles();
  const resvg = new Resvg(lineChartSvg(chart), {
    fitTo: { mode: 'zoom', value: scale },
    font:
      fontFiles.length > 0
        ? { loadSystemFonts: false, fontFiles, defaultFontFamily: 'DejaVu Sans' }
        : { loadSystemFonts: true, defaultFontFamily: 'sans-serif' },
  });
  return resvg.render().asPng();
}

/** Writes the chart's PNG to `path` atomically (writeFileAtomic), like every output file. */
export function writeLineChart(path: string, chart: LineChart, scale = 1): void {
  writeFileAtomic(path, renderLineChart(chart, scale));
}
