/**
 * Wrapper of shaders/channel_sum.wgsl: per-channel sums of a (B, channels, size) NCHW batch — a convolution
 * layer's bias gradient (channelSum of dPre).
 */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import {
  checkBinding,
  checkDims,
  kernelDispatch,
  MAX_WORKGROUPS_PER_DIMENSION,
  type KernelDispatch,
} from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Invocations per workgroup (a power of two: lib/workgroup_sum.wgsl's tree), passed to the shader's WG override. */
export const CHANNEL_SUM_WORKGROUP = 64;

export const CHANNEL_SUM = shaderInterface('channel_sum', {
  a: 'read',
  out: 'read_write',
  dims: uniform('Dims', { B: 'u32', channels: 'u32', size: 'u32' }),
});

/** out (channels) = Σ over B and `size` positions of a (B, channels, size): a conv layer's bias gradient. Writes. */
export function channelSum(
  ctx: GpuContext,
  s: { B: number; channels: number; size: number; a: TensorBinding; out: TensorBinding },
  label = 'channel_sum',
): KernelDispatch {
  const dims = { B: s.B, channels: s.channels, size: s.size };
  checkDims(label, dims);
  if (s.channels > MAX_WORKGROUPS_PER_DIMENSION)
    throw new Error(
      `${label}: one workgroup per channel, at most ${MAX_WORKGROUPS_PER_DIMENSION} channels, got ${s.channels}`,
    );
  const a = checkBinding(ctx, label, 'a', s.a, s.B * s.channels * s.size, dims);
  const out = checkBinding(ctx, label, 'out', s.out, s.channels, dims);
  if (s.a.buffer === s.out.buffer)
    throw new Error(
      `${label}: out must not share a buffer with a (WebGPU forbids read and write bindings of one buffer in a dispatch)`,
    );
  const pipeline = ctx.pipeline('channel_sum', 'main', { WG: CHANNEL_SUM_WORKGROUP });
  const dimsBuffer = CHANNEL_SUM.uniformBuffer(ctx, `${label} dims`, 'dims', dims);
  return kernelDispatch(ctx, label, pipeline, CHANNEL_SUM.entries({ a, out, dims: { buffer: dimsBuffer } }), [
    s.channels,
    1,
    1,
  ]);
}
