/**
 * Tensors by name, as snapshots and checkpoints hold them, packed into and out of a flat buffer laid out by a
 * ParameterLayout (the parameters, and every optimizer state that mirrors them under a name prefix).
 */
import type { ParameterLayout } from './parameter_layout.ts';

/** A tensor of a snapshot: name, shape and float32 values. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The layout's tensors, named `${prefix}${entry name}`, cut out of the flat values `flat` (P floats). */
export function unpackTensors(layout: ParameterLayout, flat: Float32Array, prefix = ''): NamedTensor[] {
  return layout.entries.map((e) => ({
    name: `${prefix}${e.name}`,
    shape: e.shape,
    data: flat.slice(e.offset, e.offset + e.size),
  }));
}

/**
 * The flat values (P floats) holding `tensors` named `${prefix}${entry name}`; tensors the layout does not
 * name are ignored. Throws, naming `source` and the tensor, when one is missing or has another shape.
 */
export function packTensors(
  layout: ParameterLayout,
  tensors: readonly NamedTensor[],
  source: string,
  prefix = '',
): Float32Array {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const flat = new Float32Array(layout.P);
  for (const e of layout.entries) {
    const name = `${prefix}${e.name}`;
    const t = byName.get(name);
    if (t === undefined)
      throw new Error(`${source}: has no tensor '${name}' (shape ${e.shape.join('×')}) that this model needs`);
    if (t.shape.join('×') !== e.shape.join('×')) {
      throw new Error(
        `${source}: tensor '${name}' has shape ${t.shape.join('×')}, but this model needs ${e.shape.join('×')}`,
      );
    }
    if (t.data.length !== e.size)
      throw new Error(
        `${source}: tensor '${name}' holds ${t.data.length} values, but its shape ${e.shape.join('×')} needs ${e.size}`,
      );
    flat.set(t.data, e.offset);
  }
  return flat;
}
