// Debian's headless Chromium for the browser suites and the consumer check, stated once: where it is, the flags
// that give it WebGPU without a GPU, the repository's pages served by Vite, and what counts as a page's problem.
// Run a suite: node --import tsx test/browser/demo.browser.ts   (needs /usr/bin/chromium; .ci/setup installs it)
import { createServer, type ViteDevServer } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';
import { fileURLToPath } from 'node:url';

/** The repository's root, with a trailing slash. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const CHROMIUM = process.env.AEVB_CHROMIUM ?? '/usr/bin/chromium';

// WebGPU is behind a flag on Linux and runs on Chromium's bundled SwiftShader; a canvas there needs ANGLE on
// Vulkan (and one --enable-features only). The network is closed: nothing in the background may reach for it.
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-angle=vulkan',
  '--use-vulkan=swiftshader',
  '--enable-features=Vulkan,WebGPU',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** The repository's pages (demo/, and src/ through /@fs) from Vite's dev server on a free port of 127.0.0.1. */
export async function startPageServer(): Promise<ViteDevServer> {
  const server = await createServer({
    configFile: `${REPOSITORY_ROOT}vite.config.ts`,
    server: { port: 0, host: '127.0.0.1' },
    logLevel: 'error',
  });
  await server.listen();
  return server;
}

/**
 * Collects a page's console errors, WebGPU warnings (Chrome reports a WebGPU uncaptured error as a console
 * warning) and page errors, into the array returned.
 */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || (m.type() === 'warning' && /WebGPU|uncaptured|GPU/i.test(m.text())))
      problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return problems;
}
