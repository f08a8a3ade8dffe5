// The browser demo (demo/): Vite bundles demo/main.ts with the same src/ modules Node runs and imports the
// same shaders/*.wgsl as text. The dev and preview servers also serve the bundled MNIST IDX files at /mnist/,
// which the page streams with fetch (never loading them into an array first).
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { mnistDirectory } from './src/data/mnist.node.ts';

const page = (name: string) => fileURLToPath(new URL(`./demo/${name}`, import.meta.url));

function serveMnist(): Plugin {
  const middleware = (request: { url?: string }, response: { setHeader(k: string, v: string): void; end(): void; statusCode: number } & NodeJS.WritableStream, next: () => void) => {
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

export default defineConfig({
  root: 'demo',
  plugins: [serveMnist()],
  // 'aevb' in the pages (the README's page example) is this repository's browser entry, as a bundler resolves it
  // for an app that installed the package.
  resolve: { alias: { aevb: fileURLToPath(new URL('./src/index.browser.ts', import.meta.url)) } },
  build: { outDir: '../dist-demo', emptyOutDir: true, target: 'es2022', rollupOptions: { input: { main: page('index.html'), kernels: page('kernel-tests.html'), example: page('example.html') } } },
  server: { fs: { allow: ['..'] } },
});
