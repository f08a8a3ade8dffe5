/**
 * Wrapper of shaders/conv2d.wgsl: nn.Conv2d and nn.ConvTranspose2d layers over NCHW images (a row of a batch
 * is C·H·W floats, channel-major then row-major: PyTorch's flatten(1), so a dense layer after a conv reads the
 * row as it is), with PyTorch's weight layouts. A conv's input gradient is a transposed conv and the other way
 * round, so the shader's two entry points serve four passes:
 *   correlate   conv2dForward, convTranspose2dBackwardInput
 *   transposed  convTranspose2dForward, conv2dBackwardInput
 * The filter gradients are src/kernels/conv2d_weight.ts's, the bias gradient src/kernels/channel_sum.ts's.
 */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import { activationId, type Activation } from './activation.ts';
import {
  ceilDiv,
  checkBinding,
  flatGrid,
  kernelDispatch,
  MAX_WORKGROUPS_PER_DIMENSION,
  type KernelDispatch,
} from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';
import { CONV2D_BLOCK, conv2dGeometry, type Conv2dShape } from './conv2d_shape.ts';
import { conv2dKernelOf, conv2dVariantOf, lanesRowGroups, type Conv2dVariant } from './conv2d_variant.ts';
import { LANES } from './matmul_variant.ts';

export { conv2dOutputSize, convTranspose2dOutputSize, CONV2D_BLOCK, type Conv2dShape } from './conv2d_shape.ts';
export { conv2dBackwardWeight, convTranspose2dBackwardWeight } from './conv2d_weight.ts';

/** Invocations per workgroup of conv2d.wgsl (its WG override). */
const WORKGROUP = 64;

/** The epilogue ids of lib/matmul_epilogue.wgsl, which conv2d.wgsl includes. */
const EPILOGUE = { none: 0, biasActivation: 1, activationGradient: 2 } as const;

/** The bindings of both conv shaders (conv2d.wgsl and conv2d_lanes.wgsl). */
export const CONV2D = shaderInterface(['conv2d', 'conv2d_lanes'], {
  src: 'read',
  weight: 'read',
  aux: 'read',
  dst: 'read_write',
  dims: uniform('Dims', {
    B: 'u32',
    srcC: 'u32',
    srcH: 'u32',
    srcW: 'u32',
    dstC: 'u32',
    dstH: 'u32',
    dstW: 'u32',
  }),
  weight4: 'read',
});

/** Kernel variant of a pass; default: the device's (conv2dVariantOf). */
type VariantChoice = { variant?: Conv2dVariant };

type ForwardSpec = Conv2dShape &
  VariantChoice & {
    x: TensorBinding;
    weight: TensorBinding;
    bias: TensorBinding;
    y: TensorBinding;
    activation: Activation;
  };
type BackwardInputSpec = Conv2dShape &
  VariantChoice & {
    dPre: TensorBinding;
    weight: TensorBinding;
    x: TensorBinding;
    dx: TensorBinding;
    inputActivation: Activation;
  };

// nn.Conv2d: weight (outChannels, inChannels, kernel, kernel), bias (outChannels) — PyTorch's layout.

/** y (B, outChannels, OH, OW) = act(conv(x, weight) + bias), OH = conv2dOutputSize(inHeight, …). */
export function conv2dForward(ctx: GpuContext, s: ForwardSpec, label = 'conv2d forward'): KernelDispatch[] {
  return [forward(ctx, s, false, label)];
}

/**
 * dx = (the gradient into x of the conv, from dPre) ⊙ act'(x); inputActivation 'identity' when x is not an
 * activation output. Writes, never accumulates.
 */
export function conv2dBackwardInput(
  ctx: GpuContext,
  s: BackwardInputSpec,
  label = 'conv2d backward input',
): KernelDispatch[] {
  return [backwardInput(ctx, s, false, label)];
}

// nn.ConvTranspose2d: weight (inChannels, outChannels, kernel, kernel), bias (outChannels) — PyTorch's layout;
// output size convTranspose2dOutputSize (output_padding 0).

/** y (B, outChannels, OH, OW) = act(conv_transpose(x, weight) + bias), OH = convTranspose2dOutputSize(…). */
export function convTranspose2dForward(
  ctx: GpuContext,
  s: ForwardSpec,
  label = 'conv_transpose2d forward',
): KernelDispatch[] {
  return [forward(ctx, s, true, label)];
}

/** dx = (the gradient into x of the transposed conv, from dPre) ⊙ act'(x). Writes, never accumulates. */
export function convTranspose2dBackwardInput(
  ctx: GpuContext,
  s: BackwardInputSpec,
  label = 'conv_transpose2d backward input',
): KernelDispatch[] {
  return [backwardInput(ctx, s, true, label)];
}

function forward(ctx: GpuContext, s: ForwardSpec, transposed: boolean, label: string): KernelDispatch {
  const g = conv2dGeometry(label, s, transposed);
  return launch(ctx, label, s, transposed ? 'transposed' : 'correlate', {
    src: { binding: s.x, name: 'x', C: g.inChannels, H: g.inHeight, W: g.inWidth },
    dst: { binding: s.y, name: 'y', C: g.outChannels, H: g.outHeight, W: g.outWidth },
    weight: s.weight,
    epilogue: EPILOGUE.biasActivation,
    aux: { binding: s.bias, name: 'bias', floats: g.outChannels },
    activation: s.activation,
    dims: g.dims,
  });
}

function backwardInput(ctx: GpuContext, s: BackwardInputSpec, transposed: boolean, label: string): KernelDispatch {
  const g = conv2dGeometry(label, s, transposed);
  const dx = { binding: s.dx, name: 'dx', C: g.inChannels, H: g.inHeight, W: g.inWidth };
  const identity = s.inputActivation === 'identity';
  return launch(ctx, label, s, transposed ? 'correlate' : 'transposed', {
    src: { binding: s.dPre, name: 'dPre', C: g.outChannels, H: g.outHeight, W: g.outWidth },
    dst: dx,
    weight: s.weight,
    epilogue: identity ? EPILOGUE.none : EPILOGUE.activationGradient,
    aux: identity ? null : { binding: s.x, name: 'x', floats: s.B * g.inChannels * g.inHeight * g.inWidth },
    activation: s.inputActivation,
    dims: g.dims,
  });
}

interface Image {
  binding: TensorBinding;
  name: string;
  C: number;
  H: number;
  W: number;
}

function launch(
  ctx: GpuContext,
  label: string,
  s: Conv2dShape & VariantChoice,
  entryPoint: 'correlate' | 'transposed',
  p: {
    src: Image;
    dst: Image;
    weight: TensorBinding;
    epilogue: number;
    aux: { binding: TensorBinding; name: string; floats: number } | null;
    activation: Activation;
    dims: Record<string, number>;
  },
): KernelDispatch {
  const { src, dst } = p;
  const srcRange = checkBinding(ctx, label, src.name, src.binding, s.B * src.C * src.H * src.W, p.dims);
  const dstRange = checkBinding(ctx, label, dst.name, dst.binding, s.B * dst.C * dst.H * dst.W, p.dims);
  const weight = checkBinding(ctx, label, 'weight', p.weight, s.inChannels * s.outChannels * s.kernel ** 2, p.dims);
  const reads = [p.weight, src.binding, ...(p.aux ? [p.aux.binding] : [])];
  if (reads.some((r) => r.buffer === dst.binding.buffer))
    throw new Error(
      `${label}: ${dst.name} must not share a buffer with ${src.name}, weight${p.aux ? ` or ${p.aux.name}` : ''} (WebGPU forbids read and write bindings of one buffer in a dispatch)`,
    );
  // With no epilogue the shader declares aux but never reads it: bind 4 bytes of src.
  const aux = p.aux
    ? checkBinding(ctx, label, p.aux.name, p.aux.binding, p.aux.floats, p.dims)
    : { buffer: srcRange.buffer, offset: srcRange.offset, size: 4 };
  const requested = s.variant ?? conv2dVariantOf(ctx);
  const kernel = conv2dKernelOf(
    ctx,
    label,
    requested,
    dst.C,
    entryPoint === 'transposed' ? s.stride ** 2 * dst.C : undefined,
  );
  const common = {
    KERNEL: s.kernel,
    STRIDE: s.stride,
    PADDING: s.padding,
    EPILOGUE: p.epilogue,
    ACTIVATION: activationId(p.activation),
  };
  let pipeline: GPUComputePipeline;
  let workgroups: [number, number, number];
  if (kernel === 'lanes-subpixel') {
    // Every residue's rows in one workgroup; columns: the pixels (b, qh, qw) of the residues' common grid.
    const groups = Math.ceil((s.stride ** 2 * dst.C) / LANES);
    // The src row offsets dh = (rh + p − kh) / s that some residue rh and tap kh reach (likewise dw).
    const dLo = Math.ceil((s.padding - s.kernel + 1) / s.stride);
    const dHi = Math.floor((s.stride - 1 + s.padding) / s.stride);
    pipeline = ctx.pipeline('conv2d_lanes', 'transposed_subpixel', {
      LANES,
      GROUPS: groups,
      D_LO: dLo,
      D_HI: dHi,
      ...common,
    });
    const columns = s.B * ceilDiv(dst.H, s.stride) * ceilDiv(dst.W, s.stride);
    workgroups = [ceilDiv(columns, 4 * LANES), 1, 1];
    if (workgroups[0] > MAX_WORKGROUPS_PER_DIMENSION)
      throw new Error(
        `${label}: ${columns} pixels (stride ${s.stride}) need more workgroups than WebGPU allows along one dimension (${MAX_WORKGROUPS_PER_DIMENSION})`,
      );
  } else if (kernel === 'lanes') {
    const groups = lanesRowGroups(dst.C);
    pipeline = ctx.pipeline('conv2d_lanes', entryPoint, {
      LANES,
      GROUPS: groups,
      ...(entryPoint === 'correlate'
        ? { KERNEL_ROW_VEC4: s.kernel === 4 }
        : { STRIDE_DIVIDES_KERNEL: s.kernel % s.stride === 0 }),
      ...common,
    });
    // Columns: dst's pixels of the whole batch; the transposed form's, those of one stride residue (grid z).
    const columns =
      entryPoint === 'correlate' ? s.B * dst.H * dst.W : s.B * ceilDiv(dst.H, s.stride) * ceilDiv(dst.W, s.stride);
    const z = entryPoint === 'correlate' ? 1 : s.stride ** 2;
    workgroups = [ceilDiv(columns, 4 * LANES), ceilDiv(dst.C, groups * LANES), z];
    if (workgroups[0] > MAX_WORKGROUPS_PER_DIMENSION || z > MAX_WORKGROUPS_PER_DIMENSION)
      throw new Error(
        `${label}: ${columns} pixels (stride ${s.stride}) need more workgroups than WebGPU allows along one dimension (${MAX_WORKGROUPS_PER_DIMENSION})`,
      );
  } else {
    pipeline = ctx.pipeline('conv2d', entryPoint, { WG: WORKGROUP, ...common });
    // An invocation: a block of CONV2D_BLOCK channels × CONV2D_BLOCK pixels of one row; the transposed entry
    // point's pixels are one column residue mod stride.
    const rowBlocks =
      entryPoint === 'correlate'
        ? ceilDiv(dst.W, CONV2D_BLOCK)
        : s.stride * ceilDiv(ceilDiv(dst.W, s.stride), CONV2D_BLOCK);
    workgroups = flatGrid(label, s.B * ceilDiv(dst.C, CONV2D_BLOCK) * dst.H * rowBlocks, WORKGROUP);
  }
  const dims = CONV2D.uniformBuffer(ctx, `${label} dims`, 'dims', {
    B: s.B,
    srcC: src.C,
    srcH: src.H,
    srcW: src.W,
    dstC: dst.C,
    dstH: dst.H,
    dstW: dst.W,
  });
  return kernelDispatch(
    ctx,
    label,
    pipeline,
    CONV2D.entries({
      src: srcRange,
      weight,
      aux,
      dst: dstRange,
      dims: { buffer: dims },
      // Read only by the lanes correlation (shaders/conv2d_lanes.wgsl, KERNEL_ROW_VEC4): the weight as vec4s.
      ...(kernel === 'lanes' && entryPoint === 'correlate' ? { weight4: weight } : {}),
    }),
    workgroups,
  );
}
