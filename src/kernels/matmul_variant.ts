/**
 * Which matmul kernel runs on a device. Every variant computes the same thing and every one is tested
 * (test/matmul.test.ts runs each case on each; CI runs the whole GPU suite once per variant: `npm run test:<variant>`).
 *
 *   register  shaders/matmul.wgsl `main`: a TILE×TILE block of C per invocation, straight from global memory.
 *   tiled     shaders/matmul.wgsl `tiled`: the same blocks, panels staged in workgroup memory (real GPUs).
 *   lanes     shaders/matmul_lanes.wgsl: one 8-lane subgroup per workgroup, A shared by subgroupBroadcast,
 *             every load a vec4 (CPU SIMD drivers). Needs subgroups of at least LANES invocations; shapes whose
 *             rows are not whole vec4s run the register kernel instead (src/kernels/matmul.ts).
 *
 * The kernels layer decides (the device only reports what the adapter has and what was asked for), so
 * src/gpu imports nothing from here.
 */
import type { AdapterSummary, GpuContext } from '../gpu/device.ts';

export const MATMUL_VARIANTS = ['register', 'tiled', 'lanes'] as const;
export type MatmulVariant = (typeof MATMUL_VARIANTS)[number];

/** Invocations per workgroup of the lanes kernel: they must form one subgroup (its LANES override). */
export const LANES = 8;

/** Whether the lanes kernel can run on this adapter: a workgroup of LANES invocations must be one subgroup. */
export function lanesSupported(adapter: AdapterSummary): boolean {
  return adapter.subgroups !== null && adapter.subgroups.minSize >= LANES;
}

/**
 * The default for an adapter. Measured with `npm run bench:kernels` (every variant side by side, one run) on a
 * 2-core x86-64 box; the figures are in docs/performance.md, "Which GPU it runs on":
 *  - lavapipe (llvmpipe; subgroups of 8): 'lanes'. It runs 8 invocations as one 8-wide SIMD vector on one
 *    thread and pays a per-lane, bounds-checked sequence for every storage load whatever its width, so the
 *    kernel that loads the fewest (vec4, shared by subgroupBroadcast) wins: ≈3–4× 'register' on the step's
 *    matmuls, while 'tiled' is ≈4× slower than 'register' (its barriers spill every live value).
 *  - SwiftShader (subgroups of 4, so 'lanes' cannot run) and any other software or fallback adapter:
 *    'register' (≈5× 'tiled' on SwiftShader).
 *  - Real GPUs: 'tiled', which reads each global value once per workgroup. Not measured yet (no GPU has
 *    been lent to this project): the textbook expectation, to be replaced by a measurement.
 */
export function chooseMatmulVariant(adapter: AdapterSummary): MatmulVariant {
  const names = `${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description}`;
  if (/llvmpipe|lavapipe/i.test(names) && lanesSupported(adapter)) return 'lanes';
  const software = adapter.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|software/i.test(names);
  return software ? 'register' : 'tiled';
}

/** The variant every dense layer uses on this device: the forced one (checked), else the adapter's default. */
export function matmulVariantOf(ctx: GpuContext): MatmulVariant {
  let variant = chosen.get(ctx);
  if (variant === undefined) {
    const setting = ctx.matmulVariantSetting;
    variant =
      setting === undefined
        ? chooseMatmulVariant(ctx.adapter)
        : parseMatmulVariant(setting, 'the matmul variant (options.matmulVariant / AEVB_MATMUL)');
    chosen.set(ctx, variant);
  }
  return variant;
}

const chosen = new WeakMap<GpuContext, MatmulVariant>();

export function parseMatmulVariant(value: string, source: string): MatmulVariant {
  if ((MATMUL_VARIANTS as readonly string[]).includes(value)) return value as MatmulVariant;
  throw new Error(`aevb: ${source} must be one of ${MATMUL_VARIANTS.join(', ')}, got '${value}'`);
}
