// The page takes the kernels' WGSL from the browser entry, which Vite fills from the repository's one
// shaders/ folder (src/index.browser.ts).
export { bundledShaders as shaders } from '../src/index.browser.ts';
