// Node-only: reads the WGSL kernels from the repository's shaders/ directory.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ShaderSource } from './shader_source.ts';

const shaderDirectory = fileURLToPath(new URL('../../shaders/', import.meta.url));

/** Reads `shaders/<stem>.wgsl`, caching each file's text for the life of the process. */
export function shaderFilesFromDisk(directory: string = shaderDirectory): ShaderSource {
  const cache = new Map<string, string>();
  return (stem) => {
    let code = cache.get(stem);
    if (code === undefined) {
      const path = `${directory}${directory.endsWith('/') ? '' : '/'}${stem}.wgsl`;
      try {
        code = readFileSync(path, 'utf8');
      } catch (error) {
        throw new Error(`aevb: cannot read shader '${stem}' from ${path}: ${(error as Error).message}`);
      }
      cache.set(stem, code);
    }
    return code;
  };
}
