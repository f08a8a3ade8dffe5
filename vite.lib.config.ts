// The library's browser build: src/index.browser.ts (with every shaders/*.wgsl inlined as text) as one ESM
// file, dist/aevb.browser.js. rxjs stays an external dependency, as in Node.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    lib: { entry: fileURLToPath(new URL('./src/index.browser.ts', import.meta.url)), formats: ['es'], fileName: () => 'aevb.browser.js' },
    rollupOptions: { external: ['rxjs'] },
  },
});
