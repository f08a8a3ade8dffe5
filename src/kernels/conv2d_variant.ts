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
 * The default for an adapter, measured with bench/conv_kernels.ts (B = 100, the peer's four layers, every pass,
 * both variants in one run on a shared 2-core box):
 *  - lavapipe (subgroups of 8): 'lanes': all conv passes of a step 717 ms against 1666 ms 'direct' (load
 *    average ≈ 7; 298 ms lanes in a quieter moment). A storage load costs lavapipe a per-lane sequence of
 *    about a dozen instructions per float (shaders/matmul_lanes.wgsl), so the kernel that shares each load
 *    among the most products wins.
 *  - SwiftShader (subgroups of 4: 'lanes' cannot run), other software adapters and real GPUs: 'direct'. On a
 *    real GPU a workgroup of 8 would leave most of a 32- or 64-wide subgroup idle (not measured: no GPU).
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

/** The kernels a pass runs: the direct ones, the lanes ones, or the lanes transposed form with residues as rows. */
export type Conv2dKernel = Conv2dVariant | 'lanes-subpixel';

/**
 * The kernels a pass of `variant` runs, `rows` being the channels its lanes workgroups would hold in blocks of
 * LANES (the output's channels; the filter gradient's, the small tensor's); `subpixelRows`, for the transposed
 * form, the rows of conv2d_lanes.wgsl's transposed_subpixel (stride² · output channels). Throws, naming the
 * kernel and the adapter's subgroups, where the lanes kernels cannot run. Below LANES rows most of a lanes
 * block would idle: the transposed form then takes the residues as rows where they fill half a block and fit
 * one workgroup, and otherwise the direct kernels run. With one output channel (B = 100, lavapipe,
 * alternating in one process) the 32→1 transposed conv's forward took 42 ms direct against 54 ms lanes, the
 * 1→32 conv's input gradient 41 ms against 57 ms (its forward, 32 rows: 7.2 ms lanes, 12.7 ms direct).
 */
export function conv2dKernelOf(
  ctx: GpuContext,
  label: string,
  variant: Conv2dVariant,
  rows: number,
  subpixelRows?: number,
): Conv2dKernel {
  if (variant !== 'lanes') return variant;
  if (!lanesSupported(ctx.adapter)) {
    const sizes = ctx.adapter.subgroups
      ? `subgroups of ${ctx.adapter.subgroups.minSize}–${ctx.adapter.subgroups.maxSize}`
      : 'no subgroups';
    throw new Error(
      `${label}: the 'lanes' conv kernels need subgroups of at least ${LANES} invocations; ${ctx.adapter.description} has ${sizes} (use 'direct')`,
    );
  }
  if (rows >= LANES) return 'lanes';
  const fits = subpixelRows !== undefined && subpixelRows >= LANES / 2 && subpixelRows <= LANES * LANES_MAX_GROUPS;
  return fits ? 'lanes-subpixel' : 'direct';
}

/** The most blocks of LANES channels one workgroup of the lanes kernels holds: their MAX_GROUPS. */
const LANES_MAX_GROUPS = 4;

/**
 * The most blocks per workgroup lanesRowGroups gives, ≤ LANES_MAX_GROUPS; mutable only so that
 * bench/conv_kernels.ts --ab-groups can time two settings in one process (nothing else writes it). Measured at
 * B = 100 on lavapipe, alternating in one process (3 rounds; passes that did not change moved by up to ±20 %):
 * 2 blocks, all 64-channel layers' passes 0.97× of 4 (within that noise); shaders written out for 8 blocks,
 * the 64-channel filter gradients 1.33× (conv 32→64) and 1.89× (convT 64→32) as long as 4 — presumably as the
 * accumulators (8 rows × vec4 per block and lane), spilled already, grow faster than the src loads they share.
 */
export const lanesTuning = { maxGroups: LANES_MAX_GROUPS };

/**
 * Blocks of LANES rows per workgroup of the lanes kernels for `rows` channels (their GROUPS override): as many as
 * lanesTuning.maxGroups allows, evened out over the workgroups (64 channels: 2 workgroups of 4 blocks; 20: 1 of 3).
 */
export function lanesRowGroups(rows: number): number {
  const blocks = Math.ceil(rows / LANES);
  return Math.ceil(blocks / Math.ceil(blocks / lanesTuning.maxGroups));
}
