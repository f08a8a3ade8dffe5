/**
 * Where WGSL text comes from. Node reads `shaders/<stem>.wgsl` from disk (shader_files.node.ts); a browser
 * build hands in the same files imported as text by its bundler. Either way the kernels see one function.
 * A stem is the file's path under shaders/ without `.wgsl`: 'matmul', or 'lib/activations' for a prelude. The
 * function returns the file as it is; the device expands its `#include`s (shader_includes.ts).
 */
export type ShaderSource = (stem: string) => string;

let bundled: ShaderSource | undefined;

/**
 * Makes `source` the shaders of every device acquired without `options.shaders`: the browser entry registers
 * the WGSL its bundler inlined, so a page calls acquireDevice() / Trainer.create() exactly as Node code does.
 */
export function registerBundledShaders(source: ShaderSource): void {
  bundled = source;
}

/** The shaders registered by the browser entry, if it was loaded. */
export function bundledShaderSource(): ShaderSource | undefined {
  return bundled;
}

/** Wraps a `{ stem: code }` record (e.g. from a bundler's glob import) as a ShaderSource. */
export function shaderSourceFromRecord(record: Record<string, string>): ShaderSource {
  return (stem) => {
    const code = record[stem];
    if (code === undefined) {
      throw new Error(`aevb: no shader named '${stem}' (known: ${Object.keys(record).sort().join(', ')})`);
    }
    return code;
  };
}
