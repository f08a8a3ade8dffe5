// The shader loader's `// #include "…"` expansion (src/gpu/shader_includes.ts), on the CPU: the text that comes
// out, each of its lines traced back to its file and line, includes taken once, and errors that name the file
// and line of the directive. Also: every shader of shaders/ expands, and every prelude is included somewhere.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expandShader } from '../src/gpu/shader_includes.ts';
import { shaderFilesFromDisk } from '../src/gpu/shader_files.node.ts';
import { shaderSourceFromRecord } from '../src/gpu/shader_source.ts';

const files = shaderSourceFromRecord({
  kernel: 'override WG: u32;\n// #include "lib/a.wgsl"\nfn main() {}\n// #include "lib/b.wgsl"\n',
  'lib/a': 'const A: u32 = 1u;\n// #include "lib/b.wgsl"\n',
  'lib/b': 'const B: u32 = 2u;\n',
});

test('an include puts the file after its directive, once, nested includes too', () => {
  const shader = expandShader('kernel', files);
  assert.is(
    shader.code,
    [
      'override WG: u32;',
      '// #include "lib/a.wgsl"',
      'const A: u32 = 1u;',
      '// #include "lib/b.wgsl"',
      'const B: u32 = 2u;',
      '// (end of lib/b.wgsl)',
      '// (end of lib/a.wgsl)',
      'fn main() {}',
      '// #include "lib/b.wgsl"',
      '',
    ].join('\n'),
  );
});

test('every expanded line names the file and line it came from', () => {
  const shader = expandShader('kernel', files);
  const at = (line: number) => {
    const o = shader.origin(line);
    return `${o.file}:${o.line}`;
  };
  assert.equal([1, 2, 3, 4, 5, 6, 7, 8, 9].map(at), [
    'kernel.wgsl:1',
    'kernel.wgsl:2',
    'lib/a.wgsl:1',
    'lib/a.wgsl:2',
    'lib/b.wgsl:1',
    'lib/a.wgsl:2',
    'kernel.wgsl:2',
    'kernel.wgsl:3',
    'kernel.wgsl:4',
  ]);
});

test('a shader without includes compiles as its file reads, to the byte', () => {
  const disk = shaderFilesFromDisk();
  assert.is(expandShader('column_sum', disk).code, disk('column_sum'));
});

test('an include that cannot be read, or that is no .wgsl path, names the directive', () => {
  const missing = shaderSourceFromRecord({ kernel: 'fn f() {}\n// #include "lib/none.wgsl"\n' });
  assert.throws(
    () => expandShader('kernel', missing),
    /kernel\.wgsl:2 includes "lib\/none\.wgsl", which cannot be read: aevb: no shader named 'lib\/none'/,
  );
  const bad = shaderSourceFromRecord({ kernel: '// #include "../secrets"\n' });
  assert.throws(
    () => expandShader('kernel', bad),
    /kernel\.wgsl:1: #include "\.\.\/secrets" must name a \.wgsl file under shaders\//,
  );
});

test('every shader of shaders/ expands, and every prelude of shaders/lib/ is included by one', () => {
  const disk = shaderFilesFromDisk();
  const folder = fileURLToPath(new URL('../shaders/', import.meta.url));
  const stems = readdirSync(folder)
    .filter((f) => f.endsWith('.wgsl'))
    .map((f) => f.slice(0, -5));
  const preludes = readdirSync(`${folder}lib`)
    .filter((f) => f.endsWith('.wgsl'))
    .map((f) => `lib/${f}`);
  const used = new Set<string>();
  for (const stem of stems) {
    const shader = expandShader(stem, disk);
    for (let line = 1; line <= shader.code.split('\n').length; line++) used.add(shader.origin(line).file);
  }
  assert.equal(
    preludes.filter((p) => !used.has(p)),
    [],
    'preludes no shader includes',
  );
});

test.run();
