// Float64 matmul and dense layer, row-major. C (M, N) = op(A) (M, K) · op(B) (K, N).
// transposeA: `a` is stored (K, M), op(A) = aᵀ. transposeB: `b` is stored (N, K), op(B) = bᵀ.

import { activate, activationBackward } from './activation.ts';
import type { Activation } from './activation.ts';
import { columnSum } from './column_sum.ts';

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
}

export function matmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  M: number,
  K: number,
  N: number,
  opts: MatmulOptions = {},
): Float64Array {
  const tA = opts.transposeA ?? false;
  const tB = opts.transposeB ?? false;
  if (a.length !== M * K) throw new Error(`matmul: a has ${a.length}, want ${M}*${K}`);
  if (b.length !== K * N) throw new Error(`matmul: b has ${b.length}, want ${K}*${N}`);
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const aik = tA ? a[k * M + i] : a[i * K + k];
        const bkj = tB ? b[j * K + k] : b[k * N + j];
        s += aik * bkj;
      }
      c[i * N + j] = s;
    }
  }
  return c;
}

/** y = act(x · w + bias); x (M, K), w (K, N), bias (N). Returns the pre-activation too (the backward needs it). */
export function denseForward(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number>,
  M: number,
  K: number,
  N: number,
  act: Activation,
): { pre: Float64Array; y: Float64Array } {
  if (bias.length !== N) throw new Error(`denseForward: bias has ${bias.length}, want ${N}`);
  const pre = matmul(x, w, M, K, N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) pre[i * N + j] += bias[j];
  return { pre, y: activate(pre, act) };
}

/** Gradients of a dense layer given dy = ∂loss/∂y (M, N). */
export function denseBackward(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  pre: ArrayLike<number>,
  dy: ArrayLike<number>,
  M: number,
  K: number,
  N: number,
  act: Activation,
): { dPre: Float64Array; dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const dPre = activationBackward(pre, dy, act); // (M, N)
  const dx = matmul(dPre, w, M, N, K, { transposeB: true }); // (M, N)·(N, K), w stored (K, N)
  const dw = matmul(x, dPre, K, M, N, { transposeA: true }); // (K, M)·(M, N), x stored (M, K)
  const db = columnSum(dPre, M, N);
  return { dPre, dx, dw, db };
}
