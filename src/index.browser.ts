/// <reference types="vite/client" />
/**
 * aevb's entry for browser pages, built by Vite (`npm run build:browser` → dist/aevb.browser.js): everything in
 * index.ts plus the kernels' WGSL, imported as text from the repository's one shaders/ folder, and an
 * acquireDevice that uses them. Node reads the same files from disk (gpu/shader_files.node.ts).
 */
import { acquireDevice, type AcquireOptions, type GpuContext } from './gpu/device.ts';
import { shaderSourceFromRecord, type ShaderSource } from './gpu/shader_source.ts';

export * from './index.ts';

const files = import.meta.glob('../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

/** Every kernel's WGSL, by stem. */
export const bundledShaders: ShaderSource = shaderSourceFromRecord(
  Object.fromEntries(Object.entries(files).map(([path, code]) => [path.replace(/^.*\/(\w+)\.wgsl$/, '$1'), code])),
);

/** acquireDevice on navigator.gpu with the bundled shaders; a fallback (software) adapter is accepted. */
export function acquireBrowserDevice(options: AcquireOptions = {}): Promise<GpuContext> {
  return acquireDevice({ shaders: bundledShaders, ...options });
}
