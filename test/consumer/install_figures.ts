// Consumer check: the install figures docs/install.md states are the ones test/consumer/run.sh just measured
// (the packed tarball; node_modules of a browser-only install and of a Node one), each within 10 %, so the page
// cannot go stale the way the README's figures once did (185 files/147 kB stated, 278/299 kB shipped).
// On a mismatch it prints the rows to paste. Run from the repository: node --import tsx
// test/consumer/install_figures.ts <figures.json written by run.sh>
import { readFileSync } from 'node:fs';

interface Figures {
  tarball: { files: number; packedKB: number; unpackedKB: number };
  browserOnly: { MB: number; packages: number };
  node: { MB: number; packages: number };
}

const DOC = 'docs/install.md';
const MARGIN = 0.1;
const measured = JSON.parse(readFileSync(process.argv[2] ?? '/dev/stdin', 'utf8')) as Figures;
const text = readFileSync(new URL(`../../${DOC}`, import.meta.url), 'utf8');

/** Each table row of the page by its first cell, and the row as the measured figures would write it. */
const rows: Array<[label: string, stated: RegExp, row: string, values: number[]]> = [
  [
    'the tarball (`npm pack`)',
    /(\d+) files, ([\d.]+) kB packed, ([\d.]+) kB unpacked/,
    `${measured.tarball.files} files, ${measured.tarball.packedKB.toFixed(0)} kB packed, ${measured.tarball.unpackedKB.toFixed(0)} kB unpacked`,
    [measured.tarball.files, measured.tarball.packedKB, measured.tarball.unpackedKB],
  ],
  [
    'a browser-only install (`aevb`)',
    /([\d.]+) MB, (\d+) packages/,
    `${measured.browserOnly.MB.toFixed(1)} MB, ${measured.browserOnly.packages} packages`,
    [measured.browserOnly.MB, measured.browserOnly.packages],
  ],
  [
    'a Node install (`aevb webgpu`)',
    /([\d.]+) MB, (\d+) packages/,
    `${measured.node.MB.toFixed(1)} MB, ${measured.node.packages} packages`,
    [measured.node.MB, measured.node.packages],
  ],
];

const failures: string[] = [];
for (const [label, pattern, row, values] of rows) {
  const line = text.split('\n').find((l) => l.startsWith(`| ${label} |`));
  const stated = line === undefined ? null : pattern.exec(line);
  if (line === undefined || stated === null) {
    failures.push(`${DOC} has no row '| ${label} | ${row} |'`);
    continue;
  }
  const off = values.some((value, i) => Math.abs(Number(stated[i + 1]) - value) > MARGIN * value);
  if (off) failures.push(`${DOC} says '${stated[0]}' for ${label}; measured: '| ${label} | ${row} |'`);
}
if (failures.length > 0) throw new Error(`install figures off by more than ${MARGIN * 100} %:\n${failures.join('\n')}`);
console.log(`install figures: ${DOC} states all ${rows.length} rows within ${MARGIN * 100} % of what was measured`);
for (const [label, , row] of rows) console.log(`  ${label}: ${row}`);
