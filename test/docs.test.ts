// The README and docs/*.md as a reader meets them: short enough to read (the README ≤ 250 lines), every TypeScript
// block a file of docs/examples/ shown whole (so `npm run typecheck` checks it and test/examples.test.ts runs the
// Node ones), every JSON block valid, every relative link and anchor found, the install URL the one package.json
// names, and every flag of every `npx aevb …` line one that its command's --help lists.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('..', import.meta.url));
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const text = (page: string) => readFileSync(join(root, page), 'utf8');

/** The fenced blocks of a page: language, body, and the line the fence opens on (1-based). */
function blocks(page: string): Array<{ lang: string; body: string; line: number }> {
  const found: Array<{ lang: string; body: string; line: number }> = [];
  const source = text(page);
  for (const m of source.matchAll(/^```(\w*)[^\n]*\n([\s\S]*?)^```$/gm))
    found.push({ lang: m[1], body: m[2], line: source.slice(0, m.index).split('\n').length });
  return found;
}

/** A docs/examples file without its opening comment lines, as a page shows it. */
function exampleBody(name: string): string {
  const lines = readFileSync(join(root, 'docs/examples', name), 'utf8').split('\n');
  const first = lines.findIndex((l) => !l.startsWith('//'));
  return lines.slice(first).join('\n').trim();
}

test('the README is at most 250 lines', () => {
  const lines = text('README.md').split('\n').length;
  assert.ok(lines <= 250, `README.md has ${lines} lines; move detail into docs/`);
});

test('every ```ts block is a docs/examples file, shown whole', () => {
  const wrong: string[] = [];
  for (const page of pages)
    for (const { lang, body, line } of blocks(page)) {
      if (lang !== 'ts') continue;
      const where = `${page}:${line}`;
      const named = /^\/\/ docs\/examples\/([\w-]+\.ts)\n/.exec(body);
      if (named === null) wrong.push(`${where}: a ts block opens with '// docs/examples/<name>.ts', the file it shows`);
      else if (!existsSync(join(root, 'docs/examples', named[1]))) wrong.push(`${where}: no docs/examples/${named[1]}`);
      else if (body.slice(named[0].length).trim() !== exampleBody(named[1]))
        wrong.push(
          `${where}: differs from docs/examples/${named[1]} (below its opening comment): copy the file's code`,
        );
    }
  assert.equal(wrong, []);
});

test('every ```json block parses', () => {
  const wrong: string[] = [];
  for (const page of pages)
    for (const { lang, body, line } of blocks(page)) {
      if (lang !== 'json') continue;
      try {
        JSON.parse(body);
      } catch (error) {
        wrong.push(`${page}:${line}: ${(error as Error).message}`);
      }
    }
  assert.equal(wrong, []);
});

/** GitHub's anchor of a heading: lower case, punctuation dropped but hyphens, spaces to hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

test('every relative link names a file that exists, and an anchor that one of its headings makes', () => {
  const wrong: string[] = [];
  for (const page of pages) {
    const prose = text(page).replace(/^```[\s\S]*?^```$/gm, '');
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1];
      if (/^[a-z]+:/.test(target)) continue;
      const [path, anchor] = target.split('#');
      const file = path === '' ? join(root, page) : join(root, dirname(page), path);
      if (!existsSync(file)) {
        wrong.push(`${page}: links to ${target}, and ${relative(root, file)} does not exist`);
        continue;
      }
      if (anchor === undefined || !file.endsWith('.md')) continue;
      const anchors = [...readFileSync(file, 'utf8').matchAll(/^#+ (.+)$/gm)].map((h) => anchorOf(h[1]));
      if (!anchors.includes(anchor))
        wrong.push(`${page}: links to ${target}, and no heading of ${path || page} makes #${anchor}`);
    }
  }
  assert.equal(wrong, []);
});

test("the git URL the pages install from is package.json's repository", () => {
  const pkg = JSON.parse(text('package.json')) as { repository: { url: string } };
  const url = pkg.repository.url;
  const wrong: string[] = [];
  for (const page of pages)
    for (const m of text(page).matchAll(/git\+https:\/\/[^\s'"`)#]+/g))
      if (m[0] !== url) wrong.push(`${page}: installs from ${m[0]}; package.json's repository is ${url}`);
  assert.equal(wrong, []);
  assert.ok(text('README.md').includes(url), `the README installs from ${url}`);
});

test("every flag of an `npx aevb <command>` line is one its command's --help lists", () => {
  const lines = pages.flatMap((page) =>
    blocks(page)
      .filter((b) => b.lang === 'sh')
      .flatMap((b) => b.body.split('\n').filter((l) => l.startsWith('npx aevb ')))
      .map((line) => ({ page, line })),
  );
  assert.ok(lines.length > 20, `found ${lines.length} npx aevb lines`);
  const helps = new Map<string, string>();
  const helpOf = (command: string) => {
    if (!helps.has(command))
      helps.set(
        command,
        execFileSync(process.execPath, [join(root, 'bin/aevb.js'), command, '--help'], { encoding: 'utf8' }),
      );
    return helps.get(command)!;
  };
  const wrong: string[] = [];
  for (const { page, line } of lines) {
    const words = line
      .replace(/#.*$/, '')
      .replace(/'[^']*'/g, "''")
      .split(/\s+/);
    const command = words[2];
    if (command === undefined || command.startsWith('-')) continue;
    const help = helpOf(command);
    for (const flag of words.slice(3).filter((w) => /^--[a-z]/.test(w))) {
      const name = flag.replace(/=.*$/, '');
      if (!new RegExp(`(^|[\\s,])${name}([\\s,=]|$)`, 'm').test(help))
        wrong.push(`${page}: \`${line.trim()}\`: aevb ${command} --help lists no ${name}`);
    }
  }
  assert.equal(wrong, []);
});

test.run();
