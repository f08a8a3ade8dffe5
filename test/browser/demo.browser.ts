// The demo in a real headless browser: Debian's Chromium (WebGPU on its bundled SwiftShader), driven by
// playwright-core against the Vite dev server. It loads the page with a small model, trains a few dozen steps
// streamed from the served MNIST, and checks that the test ELBO rose and the samples canvas was drawn — and
// fails on any WebGPU uncaptured error (Chrome reports those as console warnings), page error or lost device.
// The same for the model menu's conv VAE (?arch=conv:16,32): it trains, draws every picture, and its checkpoint
// loads into a page set to the MLP as the conv model it is.
// Run: node --import tsx test/browser/demo.browser.ts   (needs /usr/bin/chromium; .ci/setup installs it)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ViteDevServer } from 'vite';
import type { Browser } from 'playwright-core';
import { launchChromium, startPageServer, watchPage } from './chromium.ts';
import { assertClose } from '../assert_close.ts';
import { seededNormal, seededUniform } from '../seeded_random.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../../src/train/train_config.ts';
import { encodeCheckpoint } from '../../src/io/checkpoint_format.ts';

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

test('the kernel suites pass in the page, against the same float64 references', async () => {
  const page = await browser.newPage();
  const problems = watchPage(page);
  await page.goto(`${server.resolvedUrls!.local[0]}kernel-tests.html`);
  await page.waitForFunction(
    () => (window as unknown as { __kernelTests?: object }).__kernelTests !== undefined,
    undefined,
    { timeout: 600_000 },
  );
  const result = await page.evaluate(
    () =>
      (window as unknown as { __kernelTests: { total: number; passed: number; suites: number; text: string } })
        .__kernelTests,
  );
  console.log(`  in the page: ${result.passed} of ${result.total} kernel tests passed (${result.suites} suites)`);
  assert.ok(result.total > 100, `only ${result.total} tests ran`);
  assert.is(result.passed, result.total, result.text.slice(-3000));
  assert.equal(problems, [], 'console errors or WebGPU warnings');
  await page.close();
});

// src/kernels/conv2d_variant.ts chooses the conv passes' shaders per adapter (lavapipe in Node and SwiftShader in
// the page may differ), so the conv model's agreement also checks those forms against each other.
const NODE_MODELS: Array<[string, Partial<TrainConfig>]> = [
  ['the MLP', { hidden: [24] }],
  ['a conv model', { arch: 'conv:4,8', hidden: [16] }],
];
for (const [name, model] of NODE_MODELS)
  test(`a checkpoint written in Node decodes to the same images in the page: ${name}`, async () => {
    // Node: a small model on lavapipe (or the process's driver), a few steps, its checkpoint bytes and decodings.
    const config = { ...DEFAULT_TRAIN_CONFIG, ...model, latent: 3, batch: 10 };
    const trainer = await Trainer.create(config);
    const z = Array.from(seededNormal(3, 6 * config.latent));
    let bytes: Uint8Array;
    let expected: Float32Array;
    try {
      await trainer.trainOn(
        Array.from({ length: 5 }, (_, i) =>
          Float32Array.from(seededUniform(10 + i, config.batch * config.D), (u) => (u < 0.3 ? 1 : 0)),
        ),
      );
      bytes = encodeCheckpoint({ snapshot: await trainer.snapshot(), run: null });
      expected = await trainer.model.decode(Float32Array.from(z));
    } finally {
      trainer.destroy();
    }
    const page = await browser.newPage();
    const problems = watchPage(page);
    await page.goto(server.resolvedUrls!.local[0]);
    await page.waitForFunction(
      () => (window as unknown as { __aevbDecodeCheckpoint?: unknown }).__aevbDecodeCheckpoint !== undefined,
    );
    const actual = await page.evaluate(
      ([b, latents]) =>
        (
          window as unknown as { __aevbDecodeCheckpoint: (b: number[], z: number[]) => Promise<number[]> }
        ).__aevbDecodeCheckpoint(b, latents),
      [Array.from(bytes), z] as const,
    );
    // Two adapters (lavapipe in Node, SwiftShader in Chromium) rounding float32 differently through the layers.
    assertClose(actual, expected, { atol: 1e-5, rtol: 1e-4, label: 'decoder means, page vs Node' });
    assert.equal(problems, [], 'console errors or WebGPU warnings');
    await page.close();
  });

test('the demo trains in the page: the test ELBO rises, samples are drawn, no WebGPU error', async () => {
  const page = await browser.newPage();
  const problems = watchPage(page);
  // AEVB_DEMO_QUERY overrides the page's settings (e.g. a longer run for the README screenshot).
  const query = process.env.AEVB_DEMO_QUERY ?? 'hidden=32&latent=2&batch=50&steps=60&evalEvery=20';
  const steps = Number(new URLSearchParams(query).get('steps'));
  const url = `${server.resolvedUrls!.local[0]}?${query}&autostart=1`;
  await page.goto(url);
  await page.waitForFunction(
    () => {
      const s = (window as unknown as { __aevb?: { done: boolean; errors: string[] } }).__aevb;
      return s !== undefined && (s.done || s.errors.length > 0);
    },
    undefined,
    { timeout: Number(process.env.AEVB_DEMO_TIMEOUT_MS ?? 240_000) },
  );
  const state = await page.evaluate(
    () => (window as unknown as { __aevb: { steps: number; test: Array<[number, number]>; errors: string[] } }).__aevb,
  );
  assert.equal(state.errors, [], 'the page reported errors');
  assert.equal(problems, [], 'console errors or WebGPU warnings');
  console.log(`  page trained ${state.steps} steps; test ELBO ${state.test.map(([, e]) => e.toFixed(1)).join(' → ')}`);
  assert.is(state.steps, steps);
  assert.ok(state.test.length >= 3, `test ELBO evaluated ${state.test.length} times`);
  assert.ok(state.test.at(-1)![1] > state.test[0][1], `test ELBO did not rise: ${JSON.stringify(state.test)}`);
  // The samples canvas holds something other than black.
  const lit = await page.evaluate(() => {
    const c = document.getElementById('samples') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 40) n++;
    return n;
  });
  assert.ok(lit > 100, `only ${lit} lit pixels in the samples canvas`);
  if (process.env.AEVB_SCREENSHOT) await page.screenshot({ path: process.env.AEVB_SCREENSHOT, fullPage: true });
  await page.close();
});

test("the README's page example trains and draws samples, with no WebGPU error", async () => {
  const page = await browser.newPage();
  const problems = watchPage(page);
  await page.goto(`${server.resolvedUrls!.local[0]}example.html`);
  await page.waitForFunction(() => /done|error/.test(document.getElementById('log')?.textContent ?? ''), undefined, {
    timeout: 240_000,
  });
  const log = (await page.textContent('#log')) ?? '';
  assert.not.match(log, 'error');
  assert.match(log, /step 40: ELBO -\d+\.\d nats\ndone/);
  assert.equal(problems, [], 'console errors or WebGPU warnings');
  await page.close();
});

type PageState = { steps: number; test: Array<[number, number]>; errors: string[]; done: boolean; idle: boolean };
const pageState = (page: import('playwright-core').Page) =>
  page.evaluate(() => (window as unknown as { __aevb: PageState }).__aevb);
/** Waits until the page is done training, or reports an error. */
const settled = (page: import('playwright-core').Page, what: 'done' | 'error') =>
  page.waitForFunction(
    (w) => {
      const s = (window as unknown as { __aevb?: PageState }).__aevb;
      return s !== undefined && (w === 'done' ? s.done || s.errors.length > 0 : s.errors.length > 0);
    },
    what,
    { timeout: 240_000 },
  );

test('a picked file: a bad one is explained in the page and leaves the controls usable; a good one trains', async () => {
  const page = await browser.newPage();
  const problems = watchPage(page);
  await page.goto(`${server.resolvedUrls!.local[0]}?hidden=16&latent=2&batch=20&steps=8&evalEvery=4`);
  // A name that says no format: the page asks for the format in its own words, not a CLI flag.
  await page.setInputFiles('#file', {
    name: 'images.bin',
    mimeType: 'application/octet-stream',
    buffer: Buffer.alloc(784 * 50, 7),
  });
  await page.click('#start');
  await settled(page, 'error');
  assert.match((await page.textContent('#error')) ?? '', 'choose its format in the menu beside the file picker');
  assert.not.match((await page.textContent('#error')) ?? '', 'the CLI');
  assert.is(await page.isDisabled('#start'), false, 'Start is usable again after the error');
  // The same bytes as raw rows of 784 values, chosen in the format menu: it trains.
  await page.selectOption('#format', 'raw-u8');
  await page.fill('#dim', '784');
  await page.evaluate(() => {
    (window as unknown as { __aevb: PageState }).__aevb.errors = [];
  });
  await page.setInputFiles('#file', {
    name: 'images.bin',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from(seededUniform(5, 784 * 200).map((u) => Math.floor(u * 256))),
  });
  await page.click('#start');
  await settled(page, 'done');
  const state = await pageState(page);
  assert.equal(state.errors, []);
  assert.is(state.steps, 8);
  assert.equal(problems, [], 'console errors or WebGPU warnings');
  await page.close();
});

test('save → load → continue: a checkpoint saved by the page resumes in a fresh page where it stopped', async () => {
  const base = `${server.resolvedUrls!.local[0]}?batch=20&evalEvery=5`;
  const page = await browser.newPage();
  const problems = watchPage(page);
  await page.goto(`${base}&hidden=16&latent=3&steps=10&autostart=1`);
  await settled(page, 'done');
  await page.click('#save');
  await page.waitForFunction(() => (window as unknown as { __aevbSaved?: Uint8Array }).__aevbSaved !== undefined);
  const saved = await page.evaluate(() => Array.from((window as unknown as { __aevbSaved: Uint8Array }).__aevbSaved));
  await page.close();
  // A fresh page whose fields say otherwise: loading takes the checkpoint's model, then Start continues to 20.
  const next = await browser.newPage();
  const nextProblems = watchPage(next);
  await next.goto(`${base}&steps=20&hidden=99&latent=7`);
  await next.setInputFiles('#load', {
    name: 'checkpoint.safetensors',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from(saved),
  });
  await next.waitForFunction(
    () =>
      (window as unknown as { __aevb: PageState }).__aevb.idle &&
      document.getElementById('status')!.textContent!.startsWith('step 10'),
  );
  assert.is(await next.inputValue('#hidden'), '16');
  assert.is(await next.inputValue('#latent'), '3');
  await next.click('#start');
  await settled(next, 'done');
  const state = await pageState(next);
  assert.equal(state.errors, []);
  assert.is(state.steps, 20, 'continued from step 10 to the 20-step budget');
  assert.match(
    (await next.textContent('#status')) ?? '',
    /step 20 · train ELBO -?\d+\.\d\d · test ELBO -?\d+\.\d\d nats · \d+ images\/s/,
  );
  assert.equal([...problems, ...nextProblems], [], 'console errors or WebGPU warnings');
  await next.close();
});

/** Pixels brighter than near-black in a canvas of the page: a drawn picture has many. */
const litPixels = (page: import('playwright-core').Page, id: string) =>
  page.evaluate((canvasId) => {
    const c = document.getElementById(canvasId) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 40) n++;
    return n;
  }, id);

test('the conv model from the menu trains in the page, draws its pictures, and its checkpoint loads as conv', async () => {
  // conv:16,32 is the menu's small conv VAE; hidden 32 and M = 20 keep it to seconds on SwiftShader.
  const origin = server.resolvedUrls!.local[0];
  const page = await browser.newPage();
  const problems = watchPage(page);
  await page.goto(`${origin}?arch=conv:16,32&hidden=32&latent=2&batch=20&evalEvery=4&steps=12&autostart=1`);
  await settled(page, 'done');
  const state = await pageState(page);
  assert.equal(state.errors, [], 'the page reported errors');
  console.log(
    `  conv page trained ${state.steps} steps; test ELBO ${state.test.map(([, e]) => e.toFixed(1)).join(' → ')}`,
  );
  assert.is(state.steps, 12);
  assert.is(await page.inputValue('#arch'), 'conv:16,32');
  assert.is(await page.isDisabled('#arch'), true, 'the menu shows the model in training, not a choice');
  assert.is(state.test.length, 3, `test ELBO evaluated ${state.test.length} times`);
  assert.ok(
    state.test.every(([, e]) => Number.isFinite(e)),
    `a test ELBO is not finite: ${JSON.stringify(state.test)}`,
  );
  assert.ok(state.test.at(-1)![1] > state.test[0][1], `test ELBO did not rise: ${JSON.stringify(state.test)}`);
  for (const canvas of ['samples', 'reconstructions', 'manifold']) {
    const lit = await litPixels(page, canvas);
    assert.ok(lit > 100, `only ${lit} lit pixels in the ${canvas} canvas`);
  }
  await page.click('#save');
  await page.waitForFunction(() => (window as unknown as { __aevbSaved?: Uint8Array }).__aevbSaved !== undefined);
  const saved = await page.evaluate(() => Array.from((window as unknown as { __aevbSaved: Uint8Array }).__aevbSaved));
  await page.close();

  // A fresh page on the MLP: the menu brings each model's hidden width; loading the checkpoint shows the conv model.
  const next = await browser.newPage();
  const nextProblems = watchPage(next);
  await next.goto(`${origin}?arch=mlp&hidden=99&latent=7`);
  assert.is(await next.inputValue('#hidden'), '99');
  await next.selectOption('#arch', 'conv:32,64');
  assert.is(await next.inputValue('#hidden'), '256', "the peer's ConvVAE width");
  await next.selectOption('#arch', 'mlp');
  assert.is(await next.inputValue('#hidden'), '200');
  await next.setInputFiles('#load', {
    name: 'checkpoint.safetensors',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from(saved),
  });
  await next.waitForFunction(
    () =>
      (window as unknown as { __aevb: PageState }).__aevb.idle &&
      document.getElementById('status')!.textContent!.startsWith('step 12'),
  );
  assert.is(await next.inputValue('#arch'), 'conv:16,32');
  assert.is(await next.inputValue('#hidden'), '32');
  assert.is(await next.inputValue('#latent'), '2');
  const lit = await litPixels(next, 'samples');
  assert.ok(lit > 100, `only ${lit} lit pixels in the loaded model's samples`);
  assert.equal((await pageState(next)).errors, []);
  assert.equal([...problems, ...nextProblems], [], 'console errors or WebGPU warnings');
  await next.close();
});

test('a conv model on rows that are not square images: the page says to choose the MLP, not a CLI flag', async () => {
  const page = await browser.newPage();
  const problems = watchPage(page);
  await page.goto(`${server.resolvedUrls!.local[0]}?arch=conv:16,32&hidden=16&latent=2&batch=10&steps=2`);
  await page.selectOption('#format', 'raw-u8');
  await page.fill('#dim', '50');
  await page.setInputFiles('#file', {
    name: 'rows.bin',
    mimeType: 'application/octet-stream',
    buffer: Buffer.alloc(50 * 40, 200),
  });
  await page.click('#start');
  await settled(page, 'error');
  const error = (await page.textContent('#error')) ?? '';
  assert.match(error, 'D = 50 is not a square');
  assert.match(error, 'choose the MLP in the model menu');
  assert.not.match(error, '--image-shape');
  assert.is(await page.isDisabled('#arch'), false, 'the menu is usable to choose the MLP');
  assert.equal(problems, [], 'console errors or WebGPU warnings');
  await page.close();
});

test('an arch the library refuses is explained in the page, and Start stays usable', async () => {
  const page = await browser.newPage();
  const problems = watchPage(page);
  await page.goto(`${server.resolvedUrls!.local[0]}?arch=conv:0`);
  await page.waitForFunction(() => (window as unknown as { __aevb?: PageState }).__aevb !== undefined);
  assert.match((await page.textContent('#error')) ?? '', "arch must be 'mlp', 'conv:C1,C2,…'");
  assert.is(await page.isDisabled('#start'), false);
  assert.is(await page.inputValue('#arch'), 'mlp', 'the menu keeps a model it can train');
  assert.equal(problems, [], 'console errors or WebGPU warnings');
  await page.close();
});

test.run();
