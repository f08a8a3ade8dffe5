// The suite manifest (test/suites.ts) against the files, without a GPU: every suite file under test/ is listed
// and every listed one exists; each kernel (a shaders/<stem>.wgsl with a test/<stem>.test.ts) runs in the browser
// page too; the page's suites need nothing but a device; a suite that visibly uses a device, child processes,
// redis-server or an HTTP server says so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUITES, stemOf, suitesOf, type Need, type SuitePath } from './suites.ts';

const testDir = fileURLToPath(new URL('.', import.meta.url));
const shaderDir = fileURLToPath(new URL('../shaders', import.meta.url));
const paths = Object.keys(SUITES) as SuitePath[];

/** The suite files under test/: *.test.ts and *.browser.ts (the consumer projects are not suites of this repo). */
function suiteFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'consumer' || entry.name === 'node_modules' ? [] : suiteFiles(path);
    return /\.(test|browser)\.ts$/.test(entry.name) ? [relative(testDir, path).split('\\').join('/')] : [];
  });
}

test('every suite file under test/ is in the manifest, and every suite in it exists', () => {
  const files = suiteFiles(testDir);
  const unlisted = files.filter((f) => !(f in SUITES));
  const missing = paths.filter((p) => !existsSync(join(testDir, p)));
  assert.equal(
    unlisted,
    [],
    `suites missing from test/suites.ts (add them with what they need): ${unlisted.join(', ')}`,
  );
  assert.equal(missing, [], `test/suites.ts lists files that are gone: ${missing.join(', ')}`);
});

test("each kernel with a suite of its stem runs in the page, and the page's suites need only a device", () => {
  const kernels = readdirSync(shaderDir)
    .filter((f) => f.endsWith('.wgsl'))
    .map((f) => f.slice(0, -'.wgsl'.length));
  const notInPage = paths.filter(
    (p) => kernels.includes(stemOf(p)) && SUITES[p].needs.includes('gpu') && !suitesOf('page').includes(p),
  );
  assert.equal(notInPage, [], 'kernel suites the browser page would miss (mark them page: true)');
  for (const p of suitesOf('page')) {
    assert.equal(SUITES[p].needs, ['gpu'], `${p} runs in the page, so it can need nothing but a device`);
    assert.ok(SUITES[p].numerics, `${p} runs in the page: it is a kernel suite, so numerics`);
    assert.not.match(
      readFileSync(join(testDir, p), 'utf8'),
      /from 'node:/,
      `${p} runs in the page: it cannot import Node's modules`,
    );
  }
});

/** What a suite's text shows it needs. Children's needs (a CLI that trains) are not visible: only this way round. */
const EVIDENCE: Array<[Need, RegExp]> = [
  ['gpu', /\bgpuSuite\(|\bacquireDevice\(|\bTrainer\.create\(|\bVae\.create\(/],
  ['processes', /^import .* from 'node:child_process'/m],
  ['redis', /\bstartRedisServer\(/],
  ['http', /\bstartFlakyHttpServer\(|^import .* from 'node:http'/m],
  ['mnist', /\bmnistSource\(/],
];

test('a suite that uses a device, child processes, redis-server, an HTTP server or MNIST says so', () => {
  const unsaid: string[] = [];
  for (const p of paths) {
    const text = readFileSync(join(testDir, p), 'utf8');
    for (const [need, pattern] of EVIDENCE)
      if (pattern.test(text) && !SUITES[p].needs.includes(need)) unsaid.push(`${p}: ${need}`);
  }
  assert.equal(unsaid, []);
});

test("the tiers: fast holds no slow suite and needs nothing beyond a device; numerics holds the page's suites", () => {
  const fast = suitesOf('fast');
  assert.ok(fast.length > 40, `only ${fast.length} suites are fast`);
  assert.ok(fast.every((p) => !SUITES[p].slow && SUITES[p].needs.every((n) => n === 'gpu')));
  assert.ok(suitesOf('page').every((p) => suitesOf('numerics').includes(p)));
  assert.ok(
    !suitesOf('all').includes('browser/demo.browser.ts') && suitesOf('browser').includes('browser/demo.browser.ts'),
  );
});

test.run();
