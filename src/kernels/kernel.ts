/** What every kernel wrapper shares: the dispatch record, binding checks and grid maths. */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';

/** One recorded kernel launch: made once when a step plan is built, encoded again every step. */
export interface KernelDispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
}

/** Encodes the dispatches, in order, into one compute pass (WebGPU orders their memory accesses). */
export function encodeDispatches(
  encoder: GPUCommandEncoder,
  dispatches: readonly KernelDispatch[],
  label = 'aevb',
): void {
  const pass = encoder.beginComputePass({ label });
  // Each call crosses into Dawn (about a microsecond each on the host): a pipeline already set is not set again.
  let pipeline: GPUComputePipeline | null = null;
  for (const d of dispatches) {
    if (d.pipeline !== pipeline) pass.setPipeline((pipeline = d.pipeline));
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }
  pass.end();
}

/** Encodes and submits the dispatches as one command buffer; does not wait. */
export function submitDispatches(ctx: GpuContext, dispatches: readonly KernelDispatch[], label = 'aevb'): void {
  const encoder = ctx.device.createCommandEncoder({ label });
  encodeDispatches(encoder, dispatches, label);
  ctx.device.queue.submit([encoder.finish()]);
}

export function ceilDiv(n: number, d: number): number {
  return Math.ceil(n / d);
}

/** The most workgroups WebGPU guarantees along one dimension. */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/**
 * A (x, y, 1) grid covering `count` workgroups of a flat index space, for kernels that compute their index as
 * (wid.y · x + wid.x) · WG + lid: x stays within the per-dimension limit however large the tensor.
 */
export function flatGrid(kernel: string, elements: number, workgroupSize: number): [number, number, number] {
  const groups = ceilDiv(elements, workgroupSize);
  const x = Math.min(groups, MAX_WORKGROUPS_PER_DIMENSION);
  const y = ceilDiv(groups, x);
  if (y > MAX_WORKGROUPS_PER_DIMENSION)
    throw new Error(`${kernel}: ${elements} elements need more than ${MAX_WORKGROUPS_PER_DIMENSION}² workgroups`);
  return [Math.max(x, 1), Math.max(y, 1), 1];
}

/** A (x, 1, 1) grid for kernels indexed by global_invocation_id.x alone; throws past the per-dimension limit. */
export function linearGrid(kernel: string, invocations: number, workgroupSize: number): [number, number, number] {
  const groups = ceilDiv(invocations, workgroupSize);
  if (groups > MAX_WORKGROUPS_PER_DIMENSION) {
    throw new Error(
      `${kernel}: ${invocations} invocations need ${groups} workgroups, more than ${MAX_WORKGROUPS_PER_DIMENSION}`,
    );
  }
  return [Math.max(groups, 1), 1, 1];
}

/** Throws unless every named dimension is a positive integer. */
export function checkDims(kernel: string, dims: Record<string, number>): void {
  for (const [name, value] of Object.entries(dims)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new Error(`${kernel}: ${name} must be a positive integer, got ${value} (${describeDims(dims)})`);
    }
  }
}

export function describeDims(dims: Record<string, number>): string {
  return Object.entries(dims)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** Throws unless `binding` holds at least `floats` float32 values at an offset the adapter can bind. */
export function checkBinding(
  ctx: GpuContext,
  kernel: string,
  name: string,
  binding: TensorBinding,
  floats: number,
  dims: Record<string, number>,
): GPUBufferBinding {
  const offset = binding.offset ?? 0;
  const size = binding.size ?? binding.buffer.size - offset;
  const alignment = ctx.limits.minStorageBufferOffsetAlignment;
  if (offset % alignment !== 0) {
    throw new Error(
      `${kernel}: ${name} offset ${offset} bytes is not a multiple of ${alignment} (minStorageBufferOffsetAlignment)`,
    );
  }
  if (size < floats * 4) {
    throw new Error(`${kernel}: ${name} holds ${Math.floor(size / 4)} floats, needs ${floats} (${describeDims(dims)})`);
  }
  return { buffer: binding.buffer, offset, size: floats * 4 };
}

/** A launch of `pipeline` with group 0 bound to `entries` ([binding number, range] pairs). */
export function kernelDispatch(
  ctx: GpuContext,
  label: string,
  pipeline: GPUComputePipeline,
  entries: Array<[number, GPUBufferBinding]>,
  workgroups: [number, number, number],
): KernelDispatch {
  return { label, pipeline, bindGroup: bindGroup(ctx, label, pipeline, entries), workgroups };
}

/** Makes the bind group of group 0 from bindings listed in binding-number order. */
export function bindGroup(
  ctx: GpuContext,
  label: string,
  pipeline: GPUComputePipeline,
  entries: Array<[number, GPUBufferBinding]>,
): GPUBindGroup {
  return ctx.device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: entries.map(([binding, resource]) => ({ binding, resource })),
  });
}
