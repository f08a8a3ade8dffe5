// Node-only: reads the WGSL kernels from the package's shaders/ directory. The published package ships that
// folder (package.json `files`) and its compiled copy of this module sits at dist/gpu/, as the source sits at
// src/gpu/, so ../../shaders/ is the same folder from both: the repository's one set of .wgsl files.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ShaderSource } from './shader_source.ts';

const shaderDirectory = fileURLToPath(new URL('../../shaders/', import.meta.url));

/** Reads `shaders/<stem>.wgsl` (a stem may name a subfolder: 'lib/activations'), caching each file's text for the life of the process. */
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
