// aevb's browser build (vite.lib.config.ts → dist/aevb.browser.js) as an app's bundler and Node meet it:
// esbuild bundles an app importing it without a warning (a template-literal import() of the Node-only modules
// made esbuild print '[empty-glob]' in every such app), and the build loaded in Node says what it is and what to
// do, instead of asking for dist/settings.node.ts, a file the package does not ship.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build as esbuild } from 'esbuild';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { build as viteBuild } from 'vite';

// Inside the repository, so that the bundle's one external import, rxjs, resolves as in an app.
const cache = fileURLToPath(new URL('../node_modules/.cache/', import.meta.url));
mkdirSync(cache, { recursive: true });
const folder = mkdtempSync(join(cache, 'aevb-browser-build-'));
const bundle = join(folder, 'aevb.browser.js');

test.before(async () => {
  await viteBuild({
    configFile: new URL('../vite.lib.config.ts', import.meta.url).pathname,
    logLevel: 'silent',
    build: { outDir: folder, emptyOutDir: true },
  });
});
test.after(() => rmSync(folder, { recursive: true, force: true }));

test('esbuild bundles an app that imports the browser build with no warning', async () => {
  const app = join(folder, 'app.js');
  writeFileSync(app, `import { Trainer } from ${JSON.stringify(bundle)};\nconsole.log(Trainer);\n`);
  const result = await esbuild({
    entryPoints: [app],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    external: ['rxjs'],
    logLevel: 'silent',
  });
  assert.equal(
    result.warnings.map((w) => `${w.id ? `[${w.id}] ` : ''}${w.text}`),
    [],
  );
  assert.not.match(result.outputFiles[0]!.text, /import\(\s*`/, 'no template-literal import() is left');
});

test('the browser build loaded in Node refuses acquireDevice, saying it is the browser build', async () => {
  const aevb = (await import(pathToFileURL(bundle).href)) as typeof import('../src/index.browser.ts');
  try {
    await aevb.acquireDevice();
    assert.unreachable('acquireDevice resolved');
  } catch (error) {
    const message = String((error as Error).message);
    assert.match(message, "is Node-only, and this is aevb's browser build");
    assert.match(message, "'node' export condition");
    assert.not.match(message, 'Cannot find module');
  }
});

test.run();
