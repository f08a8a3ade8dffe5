// The library's browser build: src/index.browser.ts (with every shaders/**/*.wgsl inlined as text) as one ESM
// file, dist/aevb.browser.js, the `browser` and `default` conditions of package.json's `exports`. rxjs stays
// an external dependency, as in Node. `npm run build` runs this first (it empties dist/), then tsc writes the
// Node build and every entry's .d.ts beside it (tsconfig.build.json). The device's lazy imports of Node-only
// modules become modules that throw saying so (build/node_only_stub.ts), inlined: the bundle stays one file.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { nodeOnlyStub } from './build/node_only_stub.ts';

export default defineConfig({
  plugins: [nodeOnlyStub()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    lib: {
      entry: fileURLToPath(new URL('./src/index.browser.ts', import.meta.url)),
      formats: ['es'],
      fileName: () => 'aevb.browser.js',
    },
    rollupOptions: { external: ['rxjs'], output: { codeSplitting: false } },
  },
});
