// Keeping a model in a page (src/io/browser_storage.ts) in a real headless Chromium (WebGPU on SwiftShader), the
// library loaded from the Vite dev server as an app would import it: storeModel and loadStoredModel give back the
// parameters bit for bit; a key with no model, or one removed, is refused naming the key; downloadModel saves a
// file whose bytes decode in Node to the page's parameters.
// Run: node --import tsx test/browser/model_storage.browser.ts   (needs /usr/bin/chromium; .ci/setup installs it)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import type { ViteDevServer } from 'vite';
import type { Browser } from 'playwright-core';
import { launchChromium, REPOSITORY_ROOT, startPageServer } from './chromium.ts';
import { decodeCheckpoint } from '../../src/io/checkpoint_format.ts';

let server: ViteDevServer;
let browser: Browser;

test.before(async () => {
  server = await startPageServer();
  browser = await launchChromium();
});

test.after(async () => {
  await browser?.close();
  await server?.close();
});

interface PageOutcome {
  parameters: Record<string, number[]>;
  reloaded: Record<string, number[]>;
  missing: string;
  removed: string;
}

test('a model stored in IndexedDB comes back bit for bit; a download decodes in Node to the same parameters', async () => {
  const page = await browser.newPage({ acceptDownloads: true });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.resolvedUrls!.local[0]}example.html`);
  const download = page.waitForEvent('download', { timeout: 120_000 });
  download.catch(() => {}); // a failure before the download is reported by what failed, not by this wait
  // The browser entry as Vite serves a file outside its root (demo/): what an app's bundler resolves 'aevb' to.
  const entry = `/@fs${REPOSITORY_ROOT}src/index.browser.ts`;
  // Page code as text: tsx names this file's functions with a helper (__name) that the page does not have.
  const outcome = (await page.evaluate(`(async () => {
    const aevb = await import(${JSON.stringify(entry)});
    const byName = async (model) =>
      Object.fromEntries((await model.parameters()).map((t) => [t.name, Array.from(t.data)]));
    const failure = (promise) => promise.then(() => '', (e) => e.message);
    const vae = await aevb.Vae.create({ D: 16, hidden: [8], latent: 2, activation: 'tanh', init: 'glorot', seed: 4 });
    await aevb.storeModel(vae, 'tiny');
    const loaded = await aevb.loadStoredModel('tiny', { gpu: vae.gpu });
    const result = {
      parameters: await byName(vae),
      reloaded: await byName(loaded),
      missing: await failure(aevb.loadStoredModel('no such model', { gpu: vae.gpu })),
      removed: '',
    };
    loaded.destroy();
    await aevb.removeStoredModel('tiny');
    result.removed = await failure(aevb.loadStoredModel('tiny', { gpu: vae.gpu }));
    await aevb.downloadModel(vae, 'tiny.safetensors');
    vae.destroy();
    return result;
  })()`)) as PageOutcome;
  assert.equal(errors, [], 'page errors');
  assert.ok(Object.keys(outcome.parameters).length >= 6, Object.keys(outcome.parameters).join(', '));
  assert.equal(outcome.reloaded, outcome.parameters, 'stored and loaded again, bit for bit');
  assert.is(
    outcome.missing,
    "aevb: IndexedDB 'aevb-models' holds no model under 'no such model' (store one with storeModel)",
  );
  assert.match(outcome.removed, "holds no model under 'tiny'");
  const file = await download;
  assert.is(file.suggestedFilename(), 'tiny.safetensors');
  const checkpoint = decodeCheckpoint(readFileSync((await file.path())!), 'the downloaded file');
  assert.is(checkpoint.run, null);
  assert.equal(
    Object.fromEntries(checkpoint.snapshot.tensors.map((t) => [t.name, Array.from(t.data)])),
    outcome.parameters,
  );
  await page.close();
});

test.run();
