/**
 * Wrapper of shaders/matmul.wgsl and shaders/matmul_lanes.wgsl: C (M, N) = epilogue(op(A) · op(B)), by the
 * variant src/kernels/matmul_variant.ts chooses. The three uses a dense layer needs have their own functions below.
 */
import type { GpuContext } from '../gpu/device.ts';
import type { TensorBinding } from '../gpu/buffers.ts';
import { LANES, lanesSupported, matmulVariantOf, type MatmulVariant } from './matmul_variant.ts';
import { activationId, type Activation } from './activation.ts';
import {
  ceilDiv,
  checkBinding,
  checkDims,
  kernelDispatch,
  MAX_WORKGROUPS_PER_DIMENSION,
  type KernelDispatch,
} from './kernel.ts';
import { shaderInterface, uniform } from './shader_interface.ts';

/** Workgroup shape of matmul.wgsl, passed to its WG_X / WG_Y overrides. */
export const MATMUL_WORKGROUP = { x: 8, y: 8 } as const;
/** Outputs per invocation along each axis in matmul.wgsl (its TILE override; at most 4, its register arrays' size). */
export const MATMUL_TILE = 4;
/** Columns of C one lane of matmul_lanes.wgsl owns: one vec4. */
const LANE_COLUMNS = 4;
/**
 * The most blocks of LANES rows one workgroup of matmul_lanes.wgsl holds: its MAX_GROUPS (the shader writes its
 * accumulators out for that many; test/matmul.test.ts's dW shapes run this many). More blocks share each B load
 * between more rows. lavapipe's code for one step of 4 k (GALLIVM_DEBUG=asm, counted in the loop) takes ≈ 6.9
 * instructions per multiply-add with 2 blocks, 5.6 with 4, 5.2 with 5 and with 6 (the kernel before, 8 k per
 * step and 2 blocks: 7.2): spilled accumulators cost far less than loads. Compiling grows with it: Mesa takes
 * ≈ 1 s a pipeline with 2 blocks, ≈ 2.3 s with 4, ≈ 4 s with 6 (2-core box, cold shader cache), so 5.
 */
const LANE_MAX_GROUPS = 5;

/**
 * Blocks of LANES rows per workgroup of matmul_lanes.wgsl for M rows (its GROUPS override): as many as
 * LANE_MAX_GROUPS allows, evened out over the workgroups so that few rows past M are computed (M = 100: 13
 * blocks → 3 workgroups of 5; M = 1000: 125 → 25 of 5).
 */
function laneRowGroups(M: number): number {
  const blocks = ceilDiv(M, LANES);
  return ceilDiv(blocks, ceilDiv(blocks, LANE_MAX_GROUPS));
}

const EPILOGUE = { none: 0, biasActivation: 1, activationGradient: 2 } as const;

/** The bindings of both matmul shaders (matmul.wgsl reads f32, matmul_lanes.wgsl vec4<f32>). */
export const MATMUL = shaderInterface(['matmul', 'matmul_lanes'], {
  a: 'read',
  b: 'read',
  aux: 'read',
  c: 'read_write',
  dims: uniform('Dims', { M: 'u32', N: 'u32', K: 'u32' }),
});

export type MatmulEpilogue =
  | { kind: 'none' }
  | { kind: 'bias-activation'; bias: TensorBinding; activation: Activation }
  | { kind: 'activation-gradient'; output: TensorBinding; activation: Activation };

export interface MatmulSpec {
  M: number;
  N: number;
  K: number;
  /** op(A) is (M, K): stored (M, K), or (K, M) when transposeA. */
  a: TensorBinding;
  /** op(B) is (K, N): stored (K, N), or (N, K) when transposeB. */
  b: TensorBinding;
  /** (M, N), written. */
  c: TensorBinding;
  transposeA?: boolean;
  transposeB?: boolean;
  epilogue?: MatmulEpilogue;
  /** Kernel variant; default: the device's (matmulVariantOf). */
  variant?: MatmulVariant;
}

/** Records one matmul launch. Checks shapes and buffer sizes, naming them in the error. */
export function matmul(ctx: GpuContext, spec: MatmulSpec, label = 'matmul'): KernelDispatch {
  const { M, N, K } = spec;
  const dims = { M, N, K };
  checkDims(label, dims);
  const epilogue = spec.epilogue ?? { kind: 'none' };
  const a = checkBinding(ctx, label, 'A', spec.a, M * K, dims);
  const b = checkBinding(ctx, label, 'B', spec.b, K * N, dims);
  const c = checkBinding(ctx, label, 'C', spec.c, M * N, dims);
  if (spec.a.buffer === spec.c.buffer || spec.b.buffer === spec.c.buffer) {
    throw new Error(
      `${label}: C must not share a buffer with A or B (WebGPU forbids read and write bindings of one buffer in a dispatch)`,
    );
  }
  let aux: GPUBufferBinding;
  let activation: Activation = 'identity';
  if (epilogue.kind === 'bias-activation') {
    aux = checkBinding(ctx, label, 'bias', epilogue.bias, N, dims);
    activation = epilogue.activation;
  } else if (epilogue.kind === 'activation-gradient') {
    aux = checkBinding(ctx, label, 'activation output', epilogue.output, M * N, dims);
    activation = epilogue.activation;
  } else {
    // The shader declares aux in every mode; bind any small read-only range that is not C.
    aux = { buffer: spec.a.buffer, offset: a.offset, size: 4 };
  }
  const epilogueId =
    epilogue.kind === 'none'
      ? EPILOGUE.none
      : epilogue.kind === 'bias-activation'
        ? EPILOGUE.biasActivation
        : EPILOGUE.activationGradient;
  const common = {
    TRANSPOSE_A: spec.transposeA ?? false,
    TRANSPOSE_B: spec.transposeB ?? false,
    EPILOGUE: epilogueId,
    ACTIVATION: activationId(activation),
  };
  let variant = spec.variant ?? matmulVariantOf(ctx);
  if (variant === 'lanes' && !lanesSupported(ctx.adapter)) {
    const sizes = ctx.adapter.subgroups
      ? `subgroups of ${ctx.adapter.subgroups.minSize}–${ctx.adapter.subgroups.maxSize}`
      : 'no subgroups';
    throw new Error(
      `${label}: the 'lanes' matmul needs subgroups of at least ${LANES} invocations; ${ctx.adapter.description} has ${sizes} (use 'register' or 'tiled')`,
    );
  }
  // The lanes kernel's tail path: shapes whose rows are not whole vec4s run the register kernel.
  if (variant === 'lanes' && !wholeQuads(spec)) variant = 'register';
  let pipeline: GPUComputePipeline;
  let workgroups: [number, number, number];
  if (variant === 'lanes') {
    if (epilogue.kind === 'none') aux = { buffer: spec.a.buffer, offset: a.offset, size: 16 };
    const groups = laneRowGroups(M);
    pipeline = ctx.pipeline('matmul_lanes', 'main', { LANES, GROUPS: groups, ...common });
    workgroups = [ceilDiv(N, LANE_COLUMNS * LANES), ceilDiv(M, groups * LANES), 1];
  } else {
    pipeline = ctx.pipeline('matmul', variant === 'tiled' ? 'tiled' : 'main', {
      TILE: MATMUL_TILE,
      WG_X: MATMUL_WORKGROUP.x,
      WG_Y: MATMUL_WORKGROUP.y,
      ...common,
    });
    workgroups = [ceilDiv(N, MATMUL_TILE * MATMUL_WORKGROUP.x), ceilDiv(M, MATMUL_TILE * MATMUL_WORKGROUP.y), 1];
  }
  if (workgroups[1] > MAX_WORKGROUPS_PER_DIMENSION)
    throw new Error(`${label}: M=${M} needs more than ${MAX_WORKGROUPS_PER_DIMENSION} workgroup rows`);
  const dimsBuffer = MATMUL.uniformBuffer(ctx, `${label} dims`, 'dims', { M, N, K });
  return kernelDispatch(
    ctx,
    label,
    pipeline,
    MATMUL.entries({ a, b, aux, c, dims: { buffer: dimsBuffer } }),
    workgroups,
  );
}

/**
 * Whether every row matmul_lanes.wgsl reads or writes as vec4 holds whole vec4s: A's rows (K floats, or M when
 * stored transposed), B's rows (N, or K when stored transposed) and C's (N).
 */
function wholeQuads(spec: MatmulSpec): boolean {
  const aRow = spec.transposeA ? spec.M : spec.K;
  const bRow = spec.transposeB ? spec.K : spec.N;
  return [aRow, bRow, spec.N].every((n) => n % 4 === 0);
}

/** y (B, out) = act(x (B, in) · W (in, out) + bias (out)): a dense layer's forward pass. */
export function denseForward(
  ctx: GpuContext,
  s: {
    B: number;
    inputs: number;
    outputs: number;
    x: TensorBinding;
    weight: TensorBinding;
    bias: TensorBinding;
    y: TensorBinding;
    activation: Activation;
  },
  label = 'dense forward',
): KernelDispatch {
  return matmul(
    ctx,
    {
      M: s.B,
      K: s.inputs,
      N: s.outputs,
      a: s.x,
      b: s.weight,
      c: s.y,
      epilogue: { kind: 'bias-activation', bias: s.bias, activation: s.activation },
    },
    label,
  );
}

/**
 * dX (B, in) = (dPre (B, out) · Wᵀ) ⊙ act'(x): the gradient flowing into a layer's input, already multiplied by
 * the derivative of the activation that produced that input (x is that activation's output). Pass
 * inputActivation 'identity' when the input is not an activation output (e.g. z).
 */
export function denseBackwardInput(
  ctx: GpuContext,
  s: {
    B: number;
    inputs: number;
    outputs: number;
    dPre: TensorBinding;
    weight: TensorBinding;
    x: TensorBinding;
    dx: TensorBinding;
    inputActivation: Activation;
  },
  label = 'dense backward input',
): KernelDispatch {
  const epilogue: MatmulEpilogue =
    s.inputActivation === 'identity'
      ? { kind: 'none' }
      : { kind: 'activation-gradient', output: s.x, activation: s.inputActivation };
  return matmul(
    ctx,
    { M: s.B, K: s.outputs, N: s.inputs, a: s.dPre, b: s.weight, transposeB: true, c: s.dx, epilogue },
    label,
  );
}

/** dW (in, out) = xᵀ (in, B) · dPre (B, out): the weight gradient of a dense layer. */
export function denseBackwardWeight(
  ctx: GpuContext,
  s: { B: number; inputs: number; outputs: number; x: TensorBinding; dPre: TensorBinding; dWeight: TensorBinding },
  label = 'dense backward weight',
): KernelDispatch {
  return matmul(ctx, { M: s.inputs, K: s.B, N: s.outputs, a: s.x, transposeA: true, b: s.dPre, c: s.dWeight }, label);
}
