// test/reference/conv2d.ts: the backward passes of the convolution and the transposed convolution against
// central differences of their forwards (x, weight and bias, each activation), the output sizes against
// PyTorch's formulas on the peer's shapes, one conv worked by hand, and the two forwards as each other's adjoint.
import { test } from 'uvu';
import { ACTIVATIONS, activate } from '../reference/activation.ts';
import {
  conv2dBackwardRef,
  conv2dForwardRef,
  conv2dOutputSizeRef,
  convTranspose2dBackwardRef,
  convTranspose2dForwardRef,
  convTranspose2dOutputSizeRef,
  type Conv2dRefShape,
} from '../reference/conv2d.ts';
import { assertClose } from '../assert_close.ts';
import { seededNormal } from '../seeded_random.ts';
import { contract, FD_TOL, numericGradient } from './finite_difference.ts';

// Small enough for central differences of every parameter; each exercises borders (padding), strides that skip
// input pixels or overlap stamps, H ≠ W, and channel counts that are not multiples of 4.
const SHAPES: Conv2dRefShape[] = [
  { B: 2, inChannels: 2, inHeight: 6, inWidth: 5, outChannels: 3, kernel: 4, stride: 2, padding: 1 },
  { B: 1, inChannels: 3, inHeight: 5, inWidth: 4, outChannels: 2, kernel: 3, stride: 1, padding: 0 },
  { B: 2, inChannels: 1, inHeight: 4, inWidth: 5, outChannels: 2, kernel: 3, stride: 1, padding: 1 },
  { B: 1, inChannels: 2, inHeight: 7, inWidth: 6, outChannels: 3, kernel: 5, stride: 2, padding: 2 },
  { B: 1, inChannels: 2, inHeight: 5, inWidth: 5, outChannels: 1, kernel: 2, stride: 3, padding: 0 },
];

const describe = (s: Conv2dRefShape) =>
  `B=${s.B} ${s.inChannels}→${s.outChannels} ${s.inHeight}×${s.inWidth} k${s.kernel} s${s.stride} p${s.padding}`;

for (const transposed of [false, true]) {
  const [name, fwd, bwd, outputSize] = transposed
    ? ([
        'conv_transpose2d',
        convTranspose2dForwardRef,
        convTranspose2dBackwardRef,
        convTranspose2dOutputSizeRef,
      ] as const)
    : (['conv2d', conv2dForwardRef, conv2dBackwardRef, conv2dOutputSizeRef] as const);
  for (const s of SHAPES)
    for (const act of ACTIVATIONS) {
      test(`${name} ${act} ${describe(s)}: dx, dWeight, dBias match finite differences`, () => {
        const OH = outputSize(s.inHeight, s.kernel, s.stride, s.padding);
        const OW = outputSize(s.inWidth, s.kernel, s.stride, s.padding);
        const x = seededNormal(31, s.B * s.inChannels * s.inHeight * s.inWidth);
        const w = seededNormal(32, s.inChannels * s.outChannels * s.kernel * s.kernel, 0.5);
        const bias = seededNormal(33, s.outChannels, 0.5);
        const r = seededNormal(34, s.B * s.outChannels * OH * OW);
        const { pre, y } = fwd(s, x, w, bias, act);
        if (y.length !== r.length) throw new Error(`${name}: y has ${y.length} values, want ${r.length}`);
        if (act === 'relu') {
          const closest = Math.min(...Array.from(pre, Math.abs));
          if (closest < 1e-3) throw new Error(`relu test inputs too close to the kink: ${closest}`);
        }
        const g = bwd(s, x, w, pre, r, act);
        const f = (xx: ArrayLike<number>, ww: ArrayLike<number>, bb: ArrayLike<number>) =>
          contract(r, fwd(s, xx, ww, bb, act).y);
        assertClose(
          g.dx,
          numericGradient((t) => f(t, w, bias), x),
          { ...FD_TOL, label: `${name} ${act} dx` },
        );
        assertClose(
          g.dWeight,
          numericGradient((t) => f(x, t, bias), w),
          { ...FD_TOL, label: `${name} ${act} dWeight` },
        );
        assertClose(
          g.dBias,
          numericGradient((t) => f(x, w, t), bias),
          { ...FD_TOL, label: `${name} ${act} dBias` },
        );
        assertClose(
          g.dPre,
          numericGradient((t) => contract(r, activate(t, act)), pre),
          { ...FD_TOL, label: `${name} ${act} dPre` },
        );
      });
    }
}

test("output sizes: the peer's 28 → 14 → 7 and back, and odd ones (PyTorch's formulas)", () => {
  const cases: Array<[number, number, number, number, number, number]> = [
    // in, k, s, p, conv out, transposed out
    [28, 4, 2, 1, 14, 56],
    [14, 4, 2, 1, 7, 28],
    [7, 4, 2, 1, 3, 14],
    [5, 3, 1, 0, 3, 7],
    [5, 3, 1, 1, 5, 5],
    [7, 5, 2, 2, 4, 13],
  ];
  for (const [n, k, s, p, conv, transposed] of cases) {
    const got = [conv2dOutputSizeRef(n, k, s, p), convTranspose2dOutputSizeRef(n, k, s, p)];
    if (got[0] !== conv || got[1] !== transposed)
      throw new Error(`in ${n} k${k} s${s} p${p}: got ${got.join(', ')}, want ${conv}, ${transposed}`);
  }
});

test('conv2d by hand: a 3×3 image, a 2×2 kernel, stride 1, padding 0', () => {
  const s = { B: 1, inChannels: 1, inHeight: 3, inWidth: 3, outChannels: 1, kernel: 2, stride: 1, padding: 0 };
  const x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const w = [1, 10, 100, 1000];
  // y[0,0] = 1·1 + 2·10 + 4·100 + 5·1000, and so on, plus the bias 0.5.
  const expected = [5421.5, 6532.5, 8754.5, 9865.5];
  assertClose(conv2dForwardRef(s, x, w, [0.5], 'identity').y, expected, { atol: 0, rtol: 0, label: 'by hand' });
  // The transposed conv of a single 1 at (1, 1) with stride 2 stamps the kernel at (2, 2) of a 4×4 output.
  const t = { B: 1, inChannels: 1, inHeight: 2, inWidth: 2, outChannels: 1, kernel: 2, stride: 2, padding: 0 };
  const stamp = convTranspose2dForwardRef(t, [0, 0, 0, 1], w, [0], 'identity').y;
  const want = new Float64Array(16);
  [want[10], want[11], want[14], want[15]] = w;
  assertClose(stamp, want, { atol: 0, rtol: 0, label: 'stamp' });
});

// Where the transposed conv's output is x's size again (or padding is 0, so pixels past it are never read): with
// padding, a conv that leaves pixels at the far border unread mirrors to a smaller image (PyTorch's
// output_padding), and the adjoint holds only on the part both cover.
const MIRRORED: Conv2dRefShape[] = [
  { B: 2, inChannels: 2, inHeight: 8, inWidth: 6, outChannels: 3, kernel: 4, stride: 2, padding: 1 },
  { B: 1, inChannels: 3, inHeight: 5, inWidth: 4, outChannels: 2, kernel: 3, stride: 1, padding: 0 },
  { B: 2, inChannels: 1, inHeight: 4, inWidth: 5, outChannels: 2, kernel: 3, stride: 1, padding: 1 },
  { B: 1, inChannels: 2, inHeight: 7, inWidth: 7, outChannels: 3, kernel: 5, stride: 2, padding: 2 },
  { B: 1, inChannels: 2, inHeight: 5, inWidth: 5, outChannels: 1, kernel: 2, stride: 3, padding: 0 },
];

test('the transposed conv is the adjoint of the conv with the same weight: ⟨conv(x), u⟩ = ⟨x, convT(u)⟩', () => {
  for (const s of MIRRORED) {
    const OH = conv2dOutputSizeRef(s.inHeight, s.kernel, s.stride, s.padding);
    const OW = conv2dOutputSizeRef(s.inWidth, s.kernel, s.stride, s.padding);
    const x = seededNormal(41, s.B * s.inChannels * s.inHeight * s.inWidth);
    const w = seededNormal(42, s.outChannels * s.inChannels * s.kernel * s.kernel);
    const u = seededNormal(43, s.B * s.outChannels * OH * OW);
    const conv = conv2dForwardRef(s, x, w, new Float64Array(s.outChannels), 'identity').y;
    // The mirror layer: input u (outChannels, OH, OW), output inChannels; its weight (in, out) is the same array.
    const mirror = { ...s, inChannels: s.outChannels, outChannels: s.inChannels, inHeight: OH, inWidth: OW };
    const back = convTranspose2dForwardRef(mirror, u, w, new Float64Array(s.inChannels), 'identity').y;
    // With padding 0 the mirror's output may be smaller than x, where the conv's last stride left pixels unread.
    const TH = convTranspose2dOutputSizeRef(OH, s.kernel, s.stride, s.padding);
    const TW = convTranspose2dOutputSizeRef(OW, s.kernel, s.stride, s.padding);
    let rhs = 0;
    for (let b = 0; b < s.B; b++)
      for (let c = 0; c < s.inChannels; c++)
        for (let h = 0; h < TH; h++)
          for (let v = 0; v < TW; v++)
            rhs +=
              x[((b * s.inChannels + c) * s.inHeight + h) * s.inWidth + v] *
              back[((b * s.inChannels + c) * TH + h) * TW + v];
    assertClose([contract(u, conv)], [rhs], { atol: 1e-9, rtol: 1e-12, label: `adjoint ${describe(s)}` });
  }
});

test.run();
