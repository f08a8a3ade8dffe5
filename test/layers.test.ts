// The folders of src/ in layers (docs/architecture.md, "Layers"): a file imports from its own folder and from
// folders listed above it, never from one below; type-only imports count. CPU only, reads files.
// `node --import tsx test/layers.test.ts --list` also prints every import between folders, the climbing ones marked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SRC = join(ROOT, 'src');
const ORDER_FILE = 'docs/architecture.md';

/**
 * Upward imports still in the code: from any file under the folder `from` (or from that one file, when `from`
 * names one) to the file `imports` (paths under src/), with why. Temporary: an entry that no longer matches an
 * upward import fails the test, so the list only shrinks.
 */
const EXCEPTIONS: ReadonlyArray<{ from: string; imports: string; why: string }> = [];

/** The folders of src/, lowest first, as docs/architecture.md's "Layers" section numbers them. */
function statedLayers(): string[] {
  const text = readFileSync(join(ROOT, ORDER_FILE), 'utf8');
  const section = /^## Layers\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(text);
  if (section === null) throw new Error(`${ORDER_FILE} has no '## Layers' section`);
  return [...section[1].matchAll(/^\d+\. `([\w-]+)`/gm)].map((m) => m[1]);
}

interface FolderImport {
  /** The importing file and the imported one, relative to src/ ('vae/vae.ts'). */
  file: string;
  target: string;
  /** As written in the source. */
  specifier: string;
  typeOnly: boolean;
}

/** Every relative import and re-export of every .ts file under src/ (static, and dynamic with a literal path). */
function sourceImports(): FolderImport[] {
  const files = (readdirSync(SRC, { recursive: true }) as string[]).filter(
    (f) => f.endsWith('.ts') && statSync(join(SRC, f)).isFile(),
  );
  const found: FolderImport[] = [];
  for (const file of files) {
    const text = readFileSync(join(SRC, file), 'utf8');
    const add = (specifier: string, typeOnly: boolean) => {
      if (!specifier.startsWith('.')) return; // packages and node: builtins
      const target = relative(SRC, join(SRC, dirname(file), specifier))
        .split('\\')
        .join('/');
      found.push({ file: file.split('\\').join('/'), target, specifier, typeOnly });
    };
    // Statements start a line; lines of a doc comment start with '*' or '//', so examples in comments are skipped.
    for (const m of text.matchAll(
      /^[ \t]*(?:import|export)[ \t]+(type[ \t]+)?(?:[^'";]*?[ \t\n]from[ \t]+)?['"]([^'"]+)['"]/gm,
    ))
      add(m[2], m[1] !== undefined);
    for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g))
      add(m[1], /typeof\s+$/.test(text.slice(0, m.index)));
  }
  return found;
}

/** The folder of a path under src/: its first component, or '' for the entries (src/index*.ts). */
const folderOf = (path: string) => (path.includes('/') ? path.slice(0, path.indexOf('/')) : '');

/** What is wrong with one import, or null. */
function violation(i: FolderImport, layers: readonly string[]): string | null {
  const [from, to] = [folderOf(i.file), folderOf(i.target)];
  const where = `src/${i.file} imports '${i.specifier}'${i.typeOnly ? ' (types only)' : ''}`;
  if (i.target.startsWith('..')) return `${where}: src/ imports nothing outside src/ but packages`;
  if (to === '' && from !== '') return `${where}: the entries src/index*.ts are imported by no folder of src/`;
  if (from === '' || from === to) return null;
  const [a, b] = [layers.indexOf(from), layers.indexOf(to)];
  if (a < 0) return `${where}: folder ${from}/ is not in the layers of ${ORDER_FILE}; add it where its imports put it`;
  if (b > a) {
    return `${where}: ${from}/ is layer ${a + 1} of ${ORDER_FILE} and imports only from layers 1–${a} and itself, but ${to}/ is layer ${b + 1}`;
  }
  return null;
}

const matches = (e: (typeof EXCEPTIONS)[number], i: FolderImport) =>
  (e.from.endsWith('/') ? i.file.startsWith(e.from) : i.file === e.from) && i.target === e.imports;
const excepted = (i: FolderImport) => EXCEPTIONS.some((e) => matches(e, i));

if (process.argv.includes('--list')) {
  const layers = statedLayers();
  const all = sourceImports().filter((i) => folderOf(i.file) !== folderOf(i.target) && folderOf(i.file) !== '');
  const pairs = new Map<string, FolderImport[]>();
  for (const i of all)
    pairs.set(`${folderOf(i.file)} -> ${folderOf(i.target)}`, [
      ...(pairs.get(`${folderOf(i.file)} -> ${folderOf(i.target)}`) ?? []),
      i,
    ]);
  for (const [pair, list] of [...pairs].sort()) {
    const up = list.filter((i) => violation(i, layers) !== null);
    console.log(
      `${up.length > 0 ? 'UP ' : '   '}${pair}: ${list.length}${up.length > 0 ? `  (${up.map((i) => `${i.file} -> ${i.target}`).join(', ')})` : ''}`,
    );
  }
  // Folders that reach each other through imports (a cycle), by reachability.
  const edges = new Map<string, Set<string>>();
  for (const i of all) edges.set(folderOf(i.file), (edges.get(folderOf(i.file)) ?? new Set()).add(folderOf(i.target)));
  const reach = (start: string) => {
    const seen = new Set<string>();
    const visit = (f: string) => edges.get(f)?.forEach((g) => seen.has(g) || (seen.add(g), visit(g)));
    visit(start);
    return seen;
  };
  const cycles = new Set(
    [...edges.keys()]
      .map((f) =>
        [...reach(f)]
          .filter((g) => reach(g).has(f))
          .sort()
          .join(', '),
      )
      .filter((c) => c.includes(',')),
  );
  console.log(`folders in a cycle: ${cycles.size === 0 ? 'none' : [...cycles].map((c) => `{${c}}`).join(' ')}`);
}

test('the layers name every folder of src/ once, and only folders that exist', () => {
  const layers = statedLayers();
  const folders = readdirSync(SRC, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  assert.equal(
    [...layers].sort(),
    folders,
    `${ORDER_FILE} lists ${layers.join(', ')}; src/ holds ${folders.join(', ')}`,
  );
});

test('no file of src/ imports from a folder below its own in docs/architecture.md', () => {
  const layers = statedLayers();
  const found = sourceImports();
  assert.ok(found.length > 100, `found only ${found.length} imports: the scan is broken`);
  const problems = found
    .filter((i) => !excepted(i))
    .map((i) => violation(i, layers))
    .filter((v) => v !== null);
  assert.equal(problems, []);
});

test('each exception still names an upward import (remove it once the import is gone)', () => {
  const layers = statedLayers();
  const upward = sourceImports().filter((i) => violation(i, layers) !== null);
  const stale = EXCEPTIONS.filter((e) => !upward.some((i) => matches(e, i)));
  assert.equal(
    stale.map((e) => `${e.from} -> ${e.imports} (${e.why})`),
    [],
  );
});

test('the scan sees static, type-only, re-exported and dynamic imports', () => {
  const found = sourceImports();
  const has = (file: string, target: string, typeOnly?: boolean) =>
    found.some((i) => i.file === file && i.target === target && (typeOnly === undefined || i.typeOnly === typeOnly));
  assert.ok(has('index.ts', 'gpu/device.ts', false), 'a re-export');
  assert.ok(has('model/model_buffers.ts', 'gpu/device.ts', true), 'a type-only import');
  assert.ok(has('gpu/device.ts', 'gpu/settings.node.ts', false), 'a dynamic import');
});

test.run();
