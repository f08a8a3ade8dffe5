/// <reference types="vite/client" />
/**
 * aevb's entry for browser pages, built by Vite (`npm run build:browser` → dist/aevb.browser.js): everything in
 * index.ts plus the kernels' WGSL, imported as text from the repository's one shaders/ folder and registered as
 * the default shaders, so that acquireDevice() and Trainer.create() work in a page exactly as in Node. Node
 * reads the same files from disk (gpu/shader_files.node.ts).
 */
import { registerBundledShaders, shaderSourceFromRecord, type ShaderSource } from './gpu/shader_source.ts';

export * from './index.ts';
// A trained model downloaded as a file, or kept in the page's IndexedDB (DOM only, so not in the Node entry).
export {
  downloadModel,
  storeModel,
  loadStoredModel,
  removeStoredModel,
  MODEL_DATABASE,
  type StorageOptions,
} from './io/browser_storage.ts';

// The kernels and the preludes they include (shaders/lib/), keyed as the Node loader names them: the path under
// shaders/ without .wgsl ('matmul', 'lib/activations'). The device expands the includes, here as in Node.
const files = import.meta.glob('../shaders/**/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<
  string,
  string
>;

/** Every kernel's WGSL and every prelude's, by stem. */
export const bundledShaders: ShaderSource = shaderSourceFromRecord(
  Object.fromEntries(
    Object.entries(files).map(([path, code]) => [path.replace(/^\.\.\/shaders\/(.+)\.wgsl$/, '$1'), code]),
  ),
);

registerBundledShaders(bundledShaders);
