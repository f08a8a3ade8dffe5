/**
 * Which convolution kernels run on a device (conv2d.wgsl + conv2d_weight.wgsl, or their _lanes forms). Both
 * compute the same thing and both are tested (test/conv2d.test.ts runs every case on each).
 *
 *   direct  shaders/conv2d.wgsl, conv2d_weight.wgsl: an invocation computes 4 channels × 4 pixels (or 4 × 4
 *           channels of one tap) from global memory, each loaded value reused 4 times.
 *   lanes   shaders/conv2d_lanes.wgsl, conv2d_weight_lanes.wgsl: implicit matrix products, one 8-lane subgroup
 *           per workgroup holding up to 32 channels × 32 pixels, each loaded value shared between lanes by
 *           subgroupBroadcast (CPU SIMD drivers). Needs subgroups of at least LANES invocations.
 *
 * Forced by the same setting as the matmul (options.matmulVariant / AEVB_MATMUL), since the two choices answer
 * one question about the adapter: 'lanes' runs the lanes kernels, 'register' and 'tiled' the direct ones. So
 * `npm run test:lanes` and `npm run test:register` run the conv suites on each variant too.
 */
import type { AdapterSummary, GpuContext } from '../gpu/device.ts';
import { LANES, lanesSupported, parseMatmulVariant } from './matmul_variant.ts';

export const CONV2D_VARIANTS = ['direct', 'lanes'] as const;
export type Conv2dVariant = (typeof CONV2D_VARIANTS)[number];

/**
 * The default for an adapter, measured with bench/conv_kernels.ts (B = 100, the peer's four layers, every pass):
 *  - lavapipe (subgroups of 8): 'lanes', because a storage load costs it a per-lane sequence of about a dozen
 *    instructions per float (shaders/matmul_lanes.wgsl), so the kernel that shares each load among the most
 *    products wins; see the README's conv figures.
 *  - SwiftShader (subgroups of 4: 'lanes' cannot run), other software adapters and real GPUs: 'direct'. On a
 *    real GPU a workgroup of 8 would leave most of a 32- or 64-wide subgroup idle.
 */
export function chooseConv2dVariant(adapter: AdapterSummary): Conv2dVariant {
  const names = `${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description}`;
  return /llvmpipe|lavapipe/i.test(names) && lanesSupported(adapter) ? 'lanes' : 'direct';
}

/** The variant every conv layer uses on this device: the forced one (through the matmul's setting), else the adapter's. */
export function conv2dVariantOf(ctx: GpuContext): Conv2dVariant {
  let variant = chosen.get(ctx);
  if (variant === undefined) {
    const setting = ctx.matmulVariantSetting;
    variant =
      setting === undefined
        ? chooseConv2dVariant(ctx.adapter)
        : parseMatmulVariant(setting, 'the matmul variant (options.matmulVariant / AEVB_MATMUL)') === 'lanes'
          ? 'lanes'
          : 'direct';
    chosen.set(ctx, variant);
  }
  return variant;
}

const chosen = new WeakMap<GpuContext, Conv2dVariant>();

/** Throws, naming the kernel and the adapter's subgroups, where the lanes kernels cannot run. */
export function checkLanesConv(ctx: GpuContext, label: string): void {
  if (lanesSupported(ctx.adapter)) return;
  const sizes = ctx.adapter.subgroups
    ? `subgroups of ${ctx.adapter.subgroups.minSize}–${ctx.adapter.subgroups.maxSize}`
    : 'no subgroups';
  throw new Error(
    `${label}: the 'lanes' conv kernels need subgroups of at least ${LANES} invocations; ${ctx.adapter.description} has ${sizes} (use 'direct')`,
  );
}

/** The most blocks of LANES channels one workgroup of the lanes kernels holds: their MAX_GROUPS. */
const LANES_MAX_GROUPS = 4;

/**
 * Blocks of LANES rows per workgroup of the lanes kernels for `rows` channels (their GROUPS override): as many as
 * LANES_MAX_GROUPS allows, evened out over the workgroups (64 channels: 2 workgroups of 4 blocks; 20: 1 of 3).
 */
export function lanesRowGroups(rows: number): number {
  const blocks = Math.ceil(rows / LANES);
  return Math.ceil(blocks / Math.ceil(blocks / LANES_MAX_GROUPS));
}
