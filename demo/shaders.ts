/// <reference types="vite/client" />
// The kernels' WGSL, imported as text by Vite from the repository's one shaders/ folder: the same files Node
// reads from disk (src/gpu/shader_files.node.ts).
import { shaderSourceFromRecord, type ShaderSource } from '../src/gpu/shader_source.ts';

const files = import.meta.glob('../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export const shaders: ShaderSource = shaderSourceFromRecord(
  Object.fromEntries(Object.entries(files).map(([path, code]) => [path.replace(/^.*\/(\w+)\.wgsl$/, '$1'), code])),
);
