// Consumer check (e): the file list of `npm pack --dry-run --json` holds only what a user needs: the compiled
// code and its types (dist/, and types5/ for TypeScript 5.x), the command (bin/), the WGSL the Node build reads
// (shaders/), README, LICENSE and
// package.json; nothing from the repository's tests, benchmarks, demo, CI or images; and every file that
// package.json's exports, main, types and bin name. Prints the count and the sizes.
// Run from the repository: node --import tsx test/consumer/pack_contents.ts <the JSON npm pack printed>
import { readFileSync } from 'node:fs';

interface PackReport {
  files: Array<{ path: string }>;
  entryCount: number;
  size: number;
  unpackedSize: number;
}

const [report] = JSON.parse(readFileSync(process.argv[2] ?? '/dev/stdin', 'utf8')) as PackReport[];
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const paths = report.files.map((f) => f.path);

const EXCLUDED = /^(test|bench|demo|\.ci|docs\/images|src|node_modules)\//;
const ALLOWED =
  /^(dist\/.+\.(js|d\.ts)|types5\/index\.(node|browser)\.d\.ts|bin\/aevb\.js|shaders\/(lib\/)?\w+\.wgsl|README\.md|LICENSE|package\.json)$/;
const failures = [
  ...paths.filter((p) => EXCLUDED.test(p)).map((p) => `ships ${p}, from a folder that must not ship`),
  ...paths
    .filter((p) => !EXCLUDED.test(p) && !ALLOWED.test(p))
    .map((p) => `ships ${p}, which is none of dist/*.js|d.ts, types5/, bin/, shaders/, README, LICENSE`),
];
const named = new Set<string>([pkg.main, pkg.types, ...Object.values(pkg.bin as Record<string, string>)]);
const collect = (value: unknown): void => {
  if (typeof value === 'string') named.add(value);
  else if (value !== null && typeof value === 'object') Object.values(value).forEach(collect);
};
collect(pkg.exports);
for (const target of named) {
  const path = target.replace(/^\.\//, '');
  if (!paths.includes(path)) failures.push(`package.json names ${target}, which the tarball lacks`);
}
if (failures.length > 0) throw new Error(`npm pack --dry-run:\n${failures.join('\n')}`);
const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
console.log(
  `(e) npm pack --dry-run: ${report.entryCount} files, ${kB(report.size)} packed, ${kB(report.unpackedSize)} unpacked; ` +
    `nothing from test/, bench/, demo/, .ci/, docs/images/, src/; all ${named.size} files named by package.json present`,
);
