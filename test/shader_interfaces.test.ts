// Every shader's interface in TypeScript (src/kernels/*.ts, shaderInterface) against its WGSL, on the CPU: the
// `@group(0) @binding(n) var<…> name` declarations of the expanded text (includes in place) must be the
// interface's bindings in order, of the same kind, and each uniform's struct must have the interface's fields,
// in order, of the same types. A binding renumbered, renamed, added or retyped on one side only fails here,
// before any GPU would bind the wrong buffer. Every shader of shaders/ must have an interface, and one only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expandShader } from '../src/gpu/shader_includes.ts';
import { shaderFilesFromDisk } from '../src/gpu/shader_files.node.ts';
import { ShaderInterface, type BindingSpec } from '../src/kernels/shader_interface.ts';

const kernels = fileURLToPath(new URL('../src/kernels/', import.meta.url));
const shaders = fileURLToPath(new URL('../shaders/', import.meta.url));

/** Every ShaderInterface the kernel modules export, found by importing them all (no second list to keep). */
async function exportedInterfaces(): Promise<Array<{ module: string; name: string; spec: ShaderInterface }>> {
  const found: Array<{ module: string; name: string; spec: ShaderInterface }> = [];
  for (const file of readdirSync(kernels)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const module = (await import(`${kernels}${file}`)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      if (value instanceof ShaderInterface) found.push({ module: file, name, spec: value });
    }
  }
  return found;
}

/** A binding as the WGSL declares it: its number, name and kind (the uniform's struct name for a uniform). */
interface Declared {
  binding: number;
  name: string;
  kind: 'read' | 'read_write' | 'uniform';
  struct?: string;
}

const DECLARATION =
  /@group\(\s*(\d+)\s*\)\s*@binding\(\s*(\d+)\s*\)\s*var\s*<\s*([\w\s,]+?)\s*>\s*(\w+)\s*:\s*([^;]+);/g;

function declaredBindings(code: string): Declared[] {
  const declared: Declared[] = [];
  for (const [, group, binding, space, name, type] of code.matchAll(DECLARATION)) {
    assert.is(group, '0', `${name} is in group ${group}; the kernels bind group 0 only`);
    const access = space.split(',').map((word) => word.trim());
    if (access[0] === 'uniform') {
      declared.push({ binding: Number(binding), name, kind: 'uniform', struct: type.trim() });
    } else {
      assert.is(access[0], 'storage', `${name}: var<${space}>`);
      declared.push({ binding: Number(binding), name, kind: access[1] === 'read_write' ? 'read_write' : 'read' });
    }
  }
  return declared.sort((x, y) => x.binding - y.binding);
}

/** The members of `struct name { … }` as [field, type] pairs, in declaration order. */
function structFields(code: string, name: string): Array<[string, string]> {
  const body = new RegExp(`struct\\s+${name}\\s*\\{([^}]*)\\}`).exec(code);
  assert.ok(body, `struct ${name} is declared`);
  return body![1]
    .replace(/\/\/[^\n]*/g, '')
    .split(',')
    .map((member) => member.trim())
    .filter((member) => member !== '')
    .map((member) => {
      const [field, type] = member.split(':').map((part) => part.trim());
      return [field, type];
    });
}

function expected(bindings: Record<string, BindingSpec>): Declared[] {
  return Object.entries(bindings).map(([name, spec], binding) =>
    typeof spec === 'string' ? { binding, name, kind: spec } : { binding, name, kind: 'uniform', struct: spec.struct },
  );
}

test('every shader has exactly one interface, and every interface names shaders that exist', async () => {
  const stems = readdirSync(shaders)
    .filter((f) => f.endsWith('.wgsl'))
    .map((f) => f.slice(0, -5))
    .sort();
  const claimed = (await exportedInterfaces()).flatMap(({ spec }) => spec.stems).sort();
  assert.equal(claimed, stems);
});

test("bindings: the WGSL declares the interface's names, in order, of its kinds", async () => {
  const disk = shaderFilesFromDisk();
  for (const { module, name, spec } of await exportedInterfaces()) {
    for (const stem of spec.stems) {
      const code = expandShader(stem, disk).code;
      assert.equal(
        declaredBindings(code),
        expected(spec.bindings),
        `${stem}.wgsl against ${name} (src/kernels/${module})`,
      );
    }
  }
});

test("uniforms: each struct has the interface's fields, in order, of their types", async () => {
  const disk = shaderFilesFromDisk();
  for (const { module, name, spec } of await exportedInterfaces()) {
    for (const stem of spec.stems) {
      const code = expandShader(stem, disk).code;
      for (const [binding, bindingSpec] of Object.entries(spec.bindings)) {
        if (typeof bindingSpec === 'string') continue;
        assert.equal(
          structFields(code, bindingSpec.struct),
          Object.entries(bindingSpec.fields),
          `${stem}.wgsl ${binding}: ${bindingSpec.struct} against ${name} (src/kernels/${module})`,
        );
      }
    }
  }
});

test('a drift fails: a binding out of order, a kind changed, a field retyped', () => {
  const wgsl =
    'struct Dims { M: u32, scale: f32 }\n@group(0) @binding(0) var<storage, read> a: array<f32>;\n@group(0) @binding(1) var<uniform> dims: Dims;\n';
  const declared = declaredBindings(wgsl);
  assert.equal(declared, [
    { binding: 0, name: 'a', kind: 'read' },
    { binding: 1, name: 'dims', kind: 'uniform', struct: 'Dims' },
  ]);
  assert.not.equal(declared, expected({ dims: { struct: 'Dims', fields: { M: 'u32', scale: 'f32' } }, a: 'read' }));
  assert.not.equal(
    declared,
    expected({ a: 'read_write', dims: { struct: 'Dims', fields: { M: 'u32', scale: 'f32' } } }),
  );
  assert.not.equal(structFields(wgsl, 'Dims'), Object.entries({ M: 'u32', scale: 'u32' }));
});

test.run();
