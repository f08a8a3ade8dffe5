// denseBackward against central differences of denseForward, for every activation (x, w and bias each).
import { test } from 'uvu';
import { ACTIVATIONS, activate } from '../reference/activation.ts';
import { denseBackward, denseForward } from '../reference/matmul.ts';
import { assertClose } from '../assert_close.ts';
import { seededNormal } from '../seeded_random.ts';
import { contract, FD_TOL, numericGradient } from './finite_difference.ts';

const M = 3; // B
const K = 7; // D
const N = 5; // H

for (const act of ACTIVATIONS) {
  test(`dense ${act}: dx, dw, db match finite differences`, () => {
    const x = seededNormal(21, M * K);
    const w = seededNormal(22, K * N, 0.5);
    const bias = seededNormal(23, N, 0.5);
    const r = seededNormal(24, M * N);
    const { pre } = denseForward(x, w, bias, M, K, N, act);
    if (act === 'relu') {
      // Differences must not straddle the kink: every pre-activation must be well clear of 0 for these seeds.
      const closest = Math.min(...Array.from(pre, Math.abs));
      if (closest < 1e-3) throw new Error(`relu test inputs too close to the kink: ${closest}`);
    }
    const g = denseBackward(x, w, pre, r, M, K, N, act);
    const f = (xx: ArrayLike<number>, ww: ArrayLike<number>, bb: ArrayLike<number>) =>
      contract(r, denseForward(xx, ww, bb, M, K, N, act).y);
    assertClose(
      g.dx,
      numericGradient((t) => f(t, w, bias), x),
      { ...FD_TOL, label: `${act} dx` },
    );
    assertClose(
      g.dw,
      numericGradient((t) => f(x, t, bias), w),
      { ...FD_TOL, label: `${act} dw` },
    );
    assertClose(
      g.db,
      numericGradient((t) => f(x, w, t), bias),
      { ...FD_TOL, label: `${act} db` },
    );
    // dPre is the cotangent at the pre-activation.
    assertClose(
      g.dPre,
      numericGradient((t) => contract(r, activate(t, act)), pre),
      { ...FD_TOL, label: `${act} dPre` },
    );
  });
}

test.run();
