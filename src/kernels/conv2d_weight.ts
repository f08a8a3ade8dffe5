/**
 * Wrapper of shaders/conv2d_weight.wgsl: the filter gradients of nn.Conv2d and nn.ConvTranspose2d layers
 * (dWeight in PyTorch's layout of each), written, never accumulated. src/kernels/conv2d.ts re-exports them.
 */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import { checkBinding, flatGrid, kernelDispatch, ceilDiv, type KernelDispatch } from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';
import { CONV2D_BLOCK, conv2dGeometry, type Conv2dShape } from './conv2d_shape.ts';
import { conv2dKernelOf, conv2dVariantOf, lanesRowGroups, type Conv2dVariant } from './conv2d_variant.ts';
import { LANES } from './matmul_variant.ts';

/** Invocations per workgroup of conv2d_weight.wgsl (its WG override). */
const WORKGROUP = 64;

/** The bindings of both filter-gradient shaders (conv2d_weight.wgsl and conv2d_weight_lanes.wgsl). */
export const CONV2D_WEIGHT = shaderInterface(['conv2d_weight', 'conv2d_weight_lanes'], {
  small: 'read',
  large: 'read',
  dWeight: 'read_write',
  dims: uniform('Dims', {
    B: 'u32',
    smallC: 'u32',
    smallH: 'u32',
    smallW: 'u32',
    largeC: 'u32',
    largeH: 'u32',
    largeW: 'u32',
  }),
});

type WeightGradientSpec = Conv2dShape & {
  x: TensorBinding;
  dPre: TensorBinding;
  dWeight: TensorBinding;
  /** Kernel variant; default: the device's (conv2dVariantOf). */
  variant?: Conv2dVariant;
};

/** dWeight (outChannels, inChannels, k, k) = Σ over B and positions of dPre ⊗ x; writes, never accumulates. */
export function conv2dBackwardWeight(
  ctx: GpuContext,
  s: WeightGradientSpec,
  label = 'conv2d backward weight',
): KernelDispatch[] {
  return [filterGradient(ctx, s, false, label)];
}

/** dWeight (inChannels, outChannels, k, k) = Σ over B and positions of x ⊗ dPre; writes, never accumulates. */
export function convTranspose2dBackwardWeight(
  ctx: GpuContext,
  s: WeightGradientSpec,
  label = 'conv_transpose2d backward weight',
): KernelDispatch[] {
  return [filterGradient(ctx, s, true, label)];
}

/**
 * The conv's small tensor is dPre (its output's gradient) and its large one x; the transposed conv's are the
 * other way round. PyTorch's weight puts the small tensor's channels first in both.
 */
function filterGradient(ctx: GpuContext, s: WeightGradientSpec, transposed: boolean, label: string): KernelDispatch {
  const g = conv2dGeometry(label, s, transposed);
  const input = { C: g.inChannels, H: g.inHeight, W: g.inWidth, binding: s.x, name: 'x' };
  const output = { C: g.outChannels, H: g.outHeight, W: g.outWidth, binding: s.dPre, name: 'dPre' };
  const [small, large] = transposed ? [input, output] : [output, input];
  const smallRange = checkBinding(ctx, label, small.name, small.binding, s.B * small.C * small.H * small.W, g.dims);
  const largeRange = checkBinding(ctx, label, large.name, large.binding, s.B * large.C * large.H * large.W, g.dims);
  const taps = s.kernel * s.kernel;
  const dWeight = checkBinding(ctx, label, 'dWeight', s.dWeight, small.C * large.C * taps, g.dims);
  if (s.dWeight.buffer === s.x.buffer || s.dWeight.buffer === s.dPre.buffer)
    throw new Error(
      `${label}: dWeight must not share a buffer with x or dPre (WebGPU forbids read and write bindings of one buffer in a dispatch)`,
    );
  const kernel = conv2dKernelOf(ctx, label, s.variant ?? conv2dVariantOf(ctx), small.C);
  const common = { KERNEL: s.kernel, STRIDE: s.stride, PADDING: s.padding };
  let pipeline: GPUComputePipeline;
  let workgroups: [number, number, number];
  if (kernel === 'lanes') {
    const groups = lanesRowGroups(small.C);
    pipeline = ctx.pipeline('conv2d_weight_lanes', 'main', {
      LANES,
      GROUPS: groups,
      SMALL_H: small.H,
      SMALL_W: small.W,
      ...common,
    });
    // Rows: the small tensor's channels; columns: dWeight's (large channel, kh, kw).
    workgroups = [ceilDiv(large.C * taps, 4 * LANES), ceilDiv(small.C, groups * LANES), 1];
  } else {
    pipeline = ctx.pipeline('conv2d_weight', 'main', { WG: WORKGROUP, ...common });
    const invocations = ceilDiv(small.C, CONV2D_BLOCK) * ceilDiv(large.C, CONV2D_BLOCK) * taps;
    workgroups = flatGrid(label, invocations, WORKGROUP);
  }
  const dims = CONV2D_WEIGHT.uniformBuffer(ctx, `${label} dims`, 'dims', {
    B: s.B,
    smallC: small.C,
    smallH: small.H,
    smallW: small.W,
    largeC: large.C,
    largeH: large.H,
    largeW: large.W,
  });
  return kernelDispatch(
    ctx,
    label,
    pipeline,
    CONV2D_WEIGHT.entries({ small: smallRange, large: largeRange, dWeight, dims: { buffer: dims } }),
    workgroups,
  );
}
