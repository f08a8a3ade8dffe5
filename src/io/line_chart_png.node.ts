/**
 * Node-only: line charts (src/io/line_chart.ts) rasterised to PNG by resvg (@resvg/resvg-js: Rust's resvg
 * with prebuilt binaries in npm packages, no native build, no browser). Text is set in DejaVu Sans, read from
 * the system's font file (Debian: fonts-dejavu-core, installed by .ci/setup) so every machine draws the same
 * glyphs; where no DejaVu file is found the system's sans-serif fonts are used instead.
 * resvg is an optional peer dependency of aevb (4.3 MB of native code a browser-only install never loads): loaded
 * on first use; without it, writeLineChart fails with an OutputFileError naming the command that installs it, which
 * the CLI reports as a warning and goes on without the chart.
 */
import { existsSync } from 'node:fs';
import { optionalPeer, MissingPeerError } from '../data/optional_peer.node.ts';
import { lineChartSvg, type LineChart } from './line_chart.ts';
import { OutputFileError, writeFileAtomic } from './output_files.node.ts';

type ResvgPackage = typeof import('@resvg/resvg-js');

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
  const { Resvg } = optionalPeer<ResvgPackage>('@resvg/resvg-js', 'drawing a chart as PNG');
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
  let png: Uint8Array;
  try {
    png = renderLineChart(chart, scale);
  } catch (error) {
    if (error instanceof MissingPeerError)
      throw new OutputFileError(path, `${path}: ${error.message.replace(/^aevb: /, '')}`, error);
    throw error;
  }
  writeFileAtomic(path, png);
}
