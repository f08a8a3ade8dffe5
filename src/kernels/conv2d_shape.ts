/**
 * The shape of a 2-D convolution or transposed convolution layer over NCHW images, its output sizes (PyTorch's
 * formulas) and the checks every conv wrapper makes, stated once for src/kernels/conv2d.ts and conv2d_weight.ts.
 */
import { checkDims, describeDims } from './kernel.ts';

/** A 2-D convolution (or transposed convolution) over B images; in* describe the layer's input x. */
export interface Conv2dShape {
  B: number;
  inChannels: number;
  inHeight: number;
  inWidth: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
}

/** floor((in + 2·padding − kernel) / stride) + 1 */
export function conv2dOutputSize(inSize: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((inSize + 2 * padding - kernel) / stride) + 1;
}

/** (in − 1)·stride − 2·padding + kernel */
export function convTranspose2dOutputSize(inSize: number, kernel: number, stride: number, padding: number): number {
  return (inSize - 1) * stride - 2 * padding + kernel;
}

/** The layer's input and output tensors as (channels, height, width), after checking the shape. */
export interface Conv2dGeometry {
  dims: Record<string, number>;
  inChannels: number;
  inHeight: number;
  inWidth: number;
  outChannels: number;
  outHeight: number;
  outWidth: number;
}

/**
 * Checks the shape (positive sizes, padding ≥ 0, an output of at least one pixel) and returns the output's
 * size; `transposed` for nn.ConvTranspose2d. Errors name the kernel and every dimension.
 */
export function conv2dGeometry(label: string, s: Conv2dShape, transposed: boolean): Conv2dGeometry {
  const dims = {
    B: s.B,
    inChannels: s.inChannels,
    inHeight: s.inHeight,
    inWidth: s.inWidth,
    outChannels: s.outChannels,
    kernel: s.kernel,
    stride: s.stride,
    padding: s.padding,
  };
  const { padding, ...sizes } = dims;
  checkDims(label, sizes);
  if (!Number.isInteger(padding) || padding < 0)
    throw new Error(`${label}: padding must be a non-negative integer, got ${padding} (${describeDims(dims)})`);
  const size = transposed ? convTranspose2dOutputSize : conv2dOutputSize;
  const outHeight = size(s.inHeight, s.kernel, s.stride, s.padding);
  const outWidth = size(s.inWidth, s.kernel, s.stride, s.padding);
  if (outHeight < 1 || outWidth < 1) {
    throw new Error(
      `${label}: the output would be ${outHeight}×${outWidth} pixels; the ${transposed ? 'transposed ' : ''}convolution needs at least 1×1 (${describeDims(dims)})`,
    );
  }
  return {
    dims,
    inChannels: s.inChannels,
    inHeight: s.inHeight,
    inWidth: s.inWidth,
    outChannels: s.outChannels,
    outHeight,
    outWidth,
  };
}

/**
 * Channels (and, in conv2d.wgsl, pixels) one invocation of the conv shaders computes: the width of their vec4
 * accumulators, which the WGSL fixes as `const BLOCK: u32 = 4u` (not an override: the accumulators are vec4s).
 * The wrappers' grids divide by it.
 */
export const CONV2D_BLOCK = 4;
