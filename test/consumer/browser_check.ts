// Consumer check (c), the browser half: serves a consumer Vite app's build (its dist/) and loads it in Debian's
// headless Chromium through playwright-core, as test/browser/demo.browser.ts drives the demo. The page trains
// a few steps and decodes (vite_project/main.ts); this fails on any page error, console error, WebGPU warning,
// a test ELBO that did not rise, or decoder means outside (0, 1).
// Run from the repository: node --import tsx test/consumer/browser_check.ts <the consumer project's folder>
import { preview } from 'vite';
import { launchChromium, watchPage } from '../browser/chromium.ts';

const project = process.argv[2];
if (project === undefined) throw new Error('usage: browser_check.ts <folder of a built consumer Vite app>');
interface Outcome {
  done: boolean;
  errors: string[];
  before: number;
  after: number;
  means: number[];
}

const server = await preview({
  root: project,
  configFile: false,
  logLevel: 'error',
  preview: { port: 0, host: '127.0.0.1' },
});
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  const problems = watchPage(page);
  await page.goto(server.resolvedUrls!.local[0]);
  await page.waitForFunction(
    () => (window as unknown as { __consumer?: Outcome }).__consumer?.done === true,
    undefined,
    { timeout: 180_000 },
  );
  const outcome = await page.evaluate(() => (window as unknown as { __consumer: Outcome }).__consumer);
  const failures = [...outcome.errors, ...problems];
  if (!(outcome.after > outcome.before))
    failures.push(`the test ELBO did not rise: ${outcome.before} -> ${outcome.after}`);
  if (outcome.means.length !== 784 || !outcome.means.every((m) => m > 0 && m < 1))
    failures.push(`expected 784 decoder means in (0, 1), got ${outcome.means.length}`);
  if (failures.length > 0) throw new Error(`the consumer page failed:\n${failures.join('\n')}`);
  console.log(
    `(c) vite app in Chromium: test ELBO ${outcome.before.toFixed(2)} -> ${outcome.after.toFixed(2)} after 20 steps; a latent decoded to ${outcome.means.length} means in (0, 1); no WebGPU error`,
  );
} finally {
  await browser.close();
  await new Promise<void>((resolve, reject) => server.httpServer.close((error) => (error ? reject(error) : resolve())));
}
