/**
 * A shader's interface, stated once in TypeScript: its group-0 bindings in binding-number order, each a storage
 * buffer read or read_write or a uniform struct of 4-byte scalars, fields in declaration order. The wrapper
 * builds its bind group entries (entries) and its uniform bytes (pack, uniformBuffer) from it by name, so no
 * wrapper numbers a binding or offsets a field by hand; test/shader_interfaces.test.ts reads every shader's WGSL
 * (includes expanded) and fails when a declaration and its interface disagree.
 *
 *     const COLUMN_SUM = shaderInterface('column_sum', {
 *       a: 'read',                                                  // @binding(0) var<storage, read> a
 *       out: 'read_write',                                          // @binding(1) var<storage, read_write> out
 *       dims: uniform('Dims', { M: 'u32', N: 'u32', scale: 'f32' }), // @binding(2) var<uniform> dims: Dims
 *     });
 *
 * Pipelines keep WebGPU's 'auto' layout (the layout of the bindings an entry point uses), so each entry point is
 * given only the bindings it reads; an explicit layout of all of them would make every entry point bind them all.
 */
import type { GpuContext } from '../gpu/device.ts';
import { createUniformBuffer, packUniform } from '../gpu/buffers.ts';

/** A uniform struct member: WGSL's u32 or f32. */
export type ScalarType = 'u32' | 'f32';

/** A `var<uniform>` binding: the WGSL struct's name and its fields, in declaration order. */
export interface UniformBinding<F extends Record<string, ScalarType> = Record<string, ScalarType>> {
  struct: string;
  fields: F;
}

/** A binding: `var<storage, read>`, `var<storage, read_write>` or `var<uniform>`. */
export type BindingSpec = 'read' | 'read_write' | UniformBinding;

type Bindings = Record<string, BindingSpec>;
type UniformName<S extends Bindings> = { [K in keyof S]: S[K] extends UniformBinding ? K : never }[keyof S] & string;
/** The values of a uniform's fields, by name. */
export type UniformValues<U> = U extends UniformBinding<infer F> ? { [K in keyof F]: number } : never;

export function uniform<F extends Record<string, ScalarType>>(struct: string, fields: F): UniformBinding<F> {
  return { struct, fields };
}

export class ShaderInterface<S extends Bindings = Bindings> {
  /** The shaders that declare these bindings (matmul.wgsl and matmul_lanes.wgsl share one interface). */
  readonly stems: readonly string[];
  readonly bindings: S;

  constructor(stems: readonly string[], bindings: S) {
    this.stems = stems;
    this.bindings = bindings;
  }

  /** The binding number of `name`: its position in the interface. */
  number(name: keyof S & string): number {
    const n = Object.keys(this.bindings).indexOf(name);
    if (n < 0) throw new Error(`aevb: ${this.stems.join('/')} has no binding '${name}'`);
    return n;
  }

  /** Group-0 entries ([binding number, range]) of the bindings an entry point uses, named. */
  entries(resources: Partial<Record<keyof S & string, GPUBufferBinding>>): Array<[number, GPUBufferBinding]> {
    return Object.entries(resources as Record<string, GPUBufferBinding>).map(([name, resource]) => [
      this.number(name),
      resource,
    ]);
  }

  /**
   * A writer of one u32 field of uniform `name` into `buffer`: a queue write of 4 bytes from a reused array, for
   * what changes every step (a step counter), with no allocation.
   */
  fieldWriter<N extends UniformName<S>>(
    ctx: GpuContext,
    buffer: GPUBuffer,
    name: N,
    field: keyof UniformValues<S[N]> & string,
  ): (value: number) => void {
    const spec = this.bindings[name] as UniformBinding;
    const index = Object.keys(spec.fields).indexOf(field);
    if (index < 0 || spec.fields[field] !== 'u32')
      throw new Error(`aevb: ${this.stems[0]}.wgsl ${spec.struct} has no u32 field '${field}'`);
    const word = new Uint32Array(1);
    return (value) => {
      if (!(Number.isInteger(value) && value >= 0 && value <= 0xffffffff))
        throw new Error(`aevb: ${this.stems[0]}.wgsl ${spec.struct}.${field} must be a u32, got ${value}`);
      word[0] = value;
      ctx.device.queue.writeBuffer(buffer, index * 4, word);
    };
  }

  /** The bytes of uniform `name` holding `values`, laid out as its WGSL struct. */
  pack<N extends UniformName<S>>(name: N, values: UniformValues<S[N]>): ArrayBuffer {
    const spec = this.bindings[name] as UniformBinding;
    return packUniform(
      Object.entries(spec.fields).map(([field, type]) => {
        const value = (values as Record<string, number>)[field];
        const u32 = Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
        if (typeof value !== 'number' || (type === 'u32' && !u32)) {
          throw new Error(`aevb: ${this.stems[0]}.wgsl ${spec.struct}.${field} must be a ${type}, got ${value}`);
        }
        return [type, value];
      }),
    );
  }

  /** A labelled uniform buffer for `name`, holding `values`; rewrite it with queue.writeBuffer(buffer, 0, pack(…)). */
  uniformBuffer<N extends UniformName<S>>(
    ctx: GpuContext,
    label: string,
    name: N,
    values: UniformValues<S[N]>,
  ): GPUBuffer {
    return createUniformBuffer(ctx, label, this.pack(name, values));
  }
}

/** The interface of shaders/<stem>.wgsl (or of several stems declaring the same bindings). */
export function shaderInterface<S extends Bindings>(
  stems: string | readonly string[],
  bindings: S,
): ShaderInterface<S> {
  return new ShaderInterface(typeof stems === 'string' ? [stems] : stems, bindings);
}
