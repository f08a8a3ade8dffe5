// The browser demo (demo/): Vite bundles demo/main.ts with the same src/ modules Node runs and imports the
// same shaders/*.wgsl as text. The dev and preview servers also serve the bundled MNIST IDX files at /mnist/,
// which the page streams with fetch (never loading them into an array first).
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { nodeOnlyStub } from './build/node_only_stub.ts';
import { mnistDirectory } from './src/data/mnist.node.ts';
import { stemOf, suitesOf } from './test/suites.ts';

const page = (name: string) => fileURLToPath(new URL(`./demo/${name}`, import.meta.url));

function serveMnist(): Plugin {
  const middleware = (
    request: { url?: string },
    response: { setHeader(k: string, v: string): void; end(): void; statusCode: number } & NodeJS.WritableStream,
    next: () => void,
  ) => {
    const match = /^\/mnist\/([\w.-]+)$/.exec(request.url ?? '');
    if (!match) return next();
    const path = join(mnistDirectory(), match[1]);
    if (!existsSync(path)) {
      response.statusCode = 404;
      return response.end();
    }
    response.setHeader('Content-Type', 'application/octet-stream');
    createReadStream(path).pipe(response);
  };
  return {
    name: 'aevb-serve-mnist',
    configureServer: (server) => void server.middlewares.use(middleware as never),
    configurePreviewServer: (server) => void server.middlewares.use(middleware as never),
  };
}

/**
 * `virtual:aevb-page-suites`: the suites test/suites.ts marks `page`, as `{ stem: () => import(file) }`, for the
 * kernel-tests page (demo/kernel_tests.ts). Made from the manifest, so the page runs the list Node runs; a glob
 * can't be (it must be static text, and a glob over test/ would bundle suites that need Node). A suite file
 * exports nothing and package.json's `sideEffects` does not name it, so a build would drop its body: the plugin
 * says that it has side effects (registering its tests).
 */
function pageSuites(): Plugin {
  const id = 'virtual:aevb-page-suites';
  const files = new Map(
    suitesOf('page').map((path) => [fileURLToPath(new URL(`./test/${path}`, import.meta.url)), stemOf(path)]),
  );
  const entries = [...files].map(([file, stem]) => `  ${JSON.stringify(stem)}: () => import(${JSON.stringify(file)}),`);
  return {
    name: 'aevb-page-suites',
    resolveId: (source) => (source === id ? `\0${id}` : undefined),
    load: (resolved) => (resolved === `\0${id}` ? `export const suites = {\n${entries.join('\n')}\n};\n` : undefined),
    transform: (code, file) => (files.has(file) ? { code, map: null, moduleSideEffects: true } : undefined),
  };
}

export default defineConfig({
  root: 'demo',
  plugins: [serveMnist(), pageSuites(), nodeOnlyStub()],
  // 'aevb' in the pages (the README's page example) is this repository's browser entry, as a bundler resolves it
  // for an app that installed the package.
  resolve: { alias: { aevb: fileURLToPath(new URL('./src/index.browser.ts', import.meta.url)) } },
  build: {
    outDir: '../dist-demo',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: { main: page('index.html'), kernels: page('kernel-tests.html'), example: page('example.html') },
    },
  },
  server: { fs: { allow: ['..'] } },
  // The dependency scan cannot follow the virtual module to the page's suites, so their one package is named
  // here: found only when the page imports a suite, it could make the dev server reload the page mid-run.
  optimizeDeps: { include: ['uvu', 'uvu/assert'] },
});
