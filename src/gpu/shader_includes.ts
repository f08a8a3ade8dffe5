/**
 * Shared WGSL preludes. A shader names what it includes with a comment directive on a line of its own,
 *
 *     // #include "lib/activations.wgsl"
 *
 * and the loader puts that file's text after the directive (the path is relative to shaders/, in Node and in a
 * bundle alike). Being a comment, the directive leaves the file valid WGSL to an editor or a linter; the
 * preludes are static files like every shader (STYLE.md habit 1: no WGSL assembled from template strings).
 * A file is included once per shader: a second directive for it, nested or not, adds nothing, so a prelude
 * may include the preludes it uses. WGSL resolves module-scope names in any order, so a prelude may use a
 * binding or an override the including shader declares (each prelude's header says which).
 *
 * The expanded text is what the device compiles and what AEVB_DEBUG_SHADERS prints; each of its lines knows
 * the file and line it came from, so a compiler message names `lib/activations.wgsl:14`, not a line number of
 * text no file holds.
 */
import type { ShaderSource } from './shader_source.ts';

/** A line's place in the shader files: `file` is relative to shaders/, `line` counts from 1. */
export interface ShaderLine {
  file: string;
  line: number;
}

export interface ExpandedShader {
  stem: string;
  /** The text to compile: the shader with every include expanded. */
  code: string;
  /** The file and line that line `line` (from 1, as compilers count) of `code` came from. */
  origin(line: number): ShaderLine;
}

const INCLUDE = /^\s*\/\/\s*#include\s+"(.*)"\s*$/;
const INCLUDE_PATH = /^([\w-]+\/)*[\w-]+\.wgsl$/;

/** shaders/<stem>.wgsl with its includes expanded, reading every file through `source`. */
export function expandShader(stem: string, source: ShaderSource): ExpandedShader {
  const lines: string[] = [];
  const origins: ShaderLine[] = [];
  const included = new Set<string>([stem]);
  const emit = (text: string, file: string, line: number) => {
    lines.push(text);
    origins.push({ file, line });
  };
  const expand = (name: string, text: string) => {
    const file = `${name}.wgsl`;
    const own = text.split('\n');
    // An included file's final newline ends its last line; it does not open an empty one.
    if (name !== stem && own.length > 1 && own[own.length - 1] === '') own.pop();
    own.forEach((line, i) => {
      emit(line, file, i + 1);
      const directive = INCLUDE.exec(line);
      if (directive === null) return;
      const path = directive[1];
      if (!INCLUDE_PATH.test(path)) {
        throw new Error(
          `aevb: ${file}:${i + 1}: #include "${path}" must name a .wgsl file under shaders/, e.g. "lib/activations.wgsl"`,
        );
      }
      const target = path.slice(0, -'.wgsl'.length);
      if (included.has(target)) return;
      included.add(target);
      let body: string;
      try {
        body = source(target);
      } catch (error) {
        throw new Error(`aevb: ${file}:${i + 1} includes "${path}", which cannot be read: ${(error as Error).message}`);
      }
      expand(target, body);
      emit(`// (end of ${path})`, file, i + 1);
    });
  };
  expand(stem, source(stem));
  return {
    stem,
    code: lines.join('\n'),
    origin: (line) => origins[line - 1] ?? { file: `${stem}.wgsl`, line },
  };
}
