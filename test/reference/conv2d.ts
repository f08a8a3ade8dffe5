// Float64 2-D convolution and transposed convolution, NCHW, PyTorch's weight layouts, written as straight loops
// from the definitions (independent of shaders/conv2d*.wgsl, which gather where these scatter):
//   nn.Conv2d           weight (outChannels, inChannels, k, k)
//     pre[b, o, oh, ow] = bias[o] + Σ_{i, kh, kw} w[o, i, kh, kw] · x[b, i, oh·s − p + kh, ow·s − p + kw]
//   nn.ConvTranspose2d  weight (inChannels, outChannels, k, k): every input pixel scatters a k×k stamp
//     pre[b, o, ih·s − p + kh, iw·s − p + kw] += w[i, o, kh, kw] · x[b, i, ih, iw],   pre starts at bias[o]
// Positions outside the image are zero padding (read as 0, written nowhere). The backward passes take
// dy = ∂loss/∂y and the forward's pre-activation, like test/reference/matmul.ts denseBackward.

import { activate, activationBackward, type Activation } from './activation.ts';
import { channelSum } from './channel_sum.ts';

/** The layer's input x is (B, inChannels, inHeight, inWidth). */
export interface Conv2dRefShape {
  B: number;
  inChannels: number;
  inHeight: number;
  inWidth: number;
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
}

export function conv2dOutputSizeRef(inSize: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((inSize + 2 * padding - kernel) / stride) + 1;
}

export function convTranspose2dOutputSizeRef(inSize: number, kernel: number, stride: number, padding: number): number {
  return (inSize - 1) * stride - 2 * padding + kernel;
}

function checkLength(what: string, a: ArrayLike<number>, n: number): void {
  if (a.length !== n) throw new Error(`conv2d reference: ${what} has ${a.length} values, want ${n}`);
}

/** (outHeight, outWidth) of the layer. */
function outSize(s: Conv2dRefShape, transposed: boolean): [number, number] {
  const f = transposed ? convTranspose2dOutputSizeRef : conv2dOutputSizeRef;
  return [f(s.inHeight, s.kernel, s.stride, s.padding), f(s.inWidth, s.kernel, s.stride, s.padding)];
}

/**
 * Every (input pixel, output pixel, tap) triple of one channel pair that lies inside both images, as flat
 * offsets within a channel's plane and tap = kh·k + kw: [inPixel, outPixel, tap, inPixel, …].
 * Conv: the output pixel (oh, ow) reads input (oh·s − p + kh, ow·s − p + kw).
 * Transposed: the input pixel (ih, iw) writes output (ih·s − p + kh, iw·s − p + kw).
 */
function taps(s: Conv2dRefShape, transposed: boolean): Int32Array {
  const [OH, OW] = outSize(s, transposed);
  const k = s.kernel;
  // The "small" side is the one whose pixel times stride lands on the other: conv's output, transposed's input.
  const [SH, SW, LH, LW] = transposed ? [s.inHeight, s.inWidth, OH, OW] : [OH, OW, s.inHeight, s.inWidth];
  const out: number[] = [];
  for (let sh = 0; sh < SH; sh++)
    for (let sw = 0; sw < SW; sw++)
      for (let kh = 0; kh < k; kh++)
        for (let kw = 0; kw < k; kw++) {
          const lh = sh * s.stride - s.padding + kh;
          const lw = sw * s.stride - s.padding + kw;
          if (lh < 0 || lh >= LH || lw < 0 || lw >= LW) continue;
          const small = sh * SW + sw;
          const large = lh * LW + lw;
          if (transposed) out.push(small, large, kh * k + kw);
          else out.push(large, small, kh * k + kw);
        }
  return Int32Array.from(out);
}

/** Where the k·k taps of channel pair (i, o) start in w: w[o, i, ·, ·] (conv) or w[i, o, ·, ·] (transposed). */
function weightOffset(s: Conv2dRefShape, transposed: boolean, i: number, o: number): number {
  const [first, second, seconds] = transposed ? [i, o, s.outChannels] : [o, i, s.inChannels];
  return (first * seconds + second) * s.kernel * s.kernel;
}

function forward(
  s: Conv2dRefShape,
  transposed: boolean,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number>,
  act: Activation,
): { pre: Float64Array; y: Float64Array } {
  const [OH, OW] = outSize(s, transposed);
  const inPlane = s.inHeight * s.inWidth;
  const outPlane = OH * OW;
  checkLength('x', x, s.B * s.inChannels * inPlane);
  checkLength('weight', w, s.inChannels * s.outChannels * s.kernel * s.kernel);
  checkLength('bias', bias, s.outChannels);
  const pre = new Float64Array(s.B * s.outChannels * outPlane);
  for (let b = 0; b < s.B; b++)
    for (let o = 0; o < s.outChannels; o++)
      pre.fill(bias[o], (b * s.outChannels + o) * outPlane, (b * s.outChannels + o + 1) * outPlane);
  const t = taps(s, transposed);
  for (let b = 0; b < s.B; b++)
    for (let i = 0; i < s.inChannels; i++)
      for (let o = 0; o < s.outChannels; o++) {
        const [xi, yi, wi] = [
          (b * s.inChannels + i) * inPlane,
          (b * s.outChannels + o) * outPlane,
          weightOffset(s, transposed, i, o),
        ];
        for (let n = 0; n < t.length; n += 3) pre[yi + t[n + 1]] += w[wi + t[n + 2]] * x[xi + t[n]];
      }
  return { pre, y: activate(pre, act) };
}

function backward(
  s: Conv2dRefShape,
  transposed: boolean,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  pre: ArrayLike<number>,
  dy: ArrayLike<number>,
  act: Activation,
): { dPre: Float64Array; dx: Float64Array; dWeight: Float64Array; dBias: Float64Array } {
  const [OH, OW] = outSize(s, transposed);
  const inPlane = s.inHeight * s.inWidth;
  const outPlane = OH * OW;
  checkLength('x', x, s.B * s.inChannels * inPlane);
  checkLength('weight', w, s.inChannels * s.outChannels * s.kernel * s.kernel);
  checkLength('pre', pre, s.B * s.outChannels * outPlane);
  checkLength('dy', dy, s.B * s.outChannels * outPlane);
  const dPre = activationBackward(pre, dy, act);
  const dx = new Float64Array(x.length);
  const dWeight = new Float64Array(w.length);
  const t = taps(s, transposed);
  for (let b = 0; b < s.B; b++)
    for (let i = 0; i < s.inChannels; i++)
      for (let o = 0; o < s.outChannels; o++) {
        const [xi, yi, wi] = [
          (b * s.inChannels + i) * inPlane,
          (b * s.outChannels + o) * outPlane,
          weightOffset(s, transposed, i, o),
        ];
        for (let n = 0; n < t.length; n += 3) {
          const g = dPre[yi + t[n + 1]];
          dx[xi + t[n]] += w[wi + t[n + 2]] * g;
          dWeight[wi + t[n + 2]] += x[xi + t[n]] * g;
        }
      }
  return { dPre, dx, dWeight, dBias: channelSum(dPre, s.B, s.outChannels, outPlane) };
}

/** nn.Conv2d: y (B, outChannels, OH, OW) = act(conv(x, w) + bias), OH = conv2dOutputSizeRef(inHeight, …). */
export function conv2dForwardRef(
  s: Conv2dRefShape,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number>,
  act: Activation,
): { pre: Float64Array; y: Float64Array } {
  return forward(s, false, x, w, bias, act);
}

/** The gradients of conv2dForwardRef given dy = ∂loss/∂y: dPre, dx, dWeight (w's layout), dBias. */
export function conv2dBackwardRef(
  s: Conv2dRefShape,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  pre: ArrayLike<number>,
  dy: ArrayLike<number>,
  act: Activation,
): { dPre: Float64Array; dx: Float64Array; dWeight: Float64Array; dBias: Float64Array } {
  return backward(s, false, x, w, pre, dy, act);
}

/** nn.ConvTranspose2d (output_padding 0): y (B, outChannels, OH, OW), OH = convTranspose2dOutputSizeRef(…). */
export function convTranspose2dForwardRef(
  s: Conv2dRefShape,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number>,
  act: Activation,
): { pre: Float64Array; y: Float64Array } {
  return forward(s, true, x, w, bias, act);
}

/** The gradients of convTranspose2dForwardRef given dy = ∂loss/∂y: dPre, dx, dWeight (w's layout), dBias. */
export function convTranspose2dBackwardRef(
  s: Conv2dRefShape,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  pre: ArrayLike<number>,
  dy: ArrayLike<number>,
  act: Activation,
): { dPre: Float64Array; dx: Float64Array; dWeight: Float64Array; dBias: Float64Array } {
  return backward(s, true, x, w, pre, dy, act);
}
