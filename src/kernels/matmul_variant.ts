/**
 * Which entry point of shaders/matmul.wgsl runs. Both compute the same thing and both are tested
 * (test/matmul.test.ts runs every case on each; CI runs the whole-step suite with AEVB_MATMUL=tiled too).
 */
import type { AdapterSummary } from '../gpu/device.ts';

export const MATMUL_VARIANTS = ['register', 'tiled'] as const;
export type MatmulVariant = (typeof MATMUL_VARIANTS)[number];

/** The WGSL entry point of each variant. */
export const MATMUL_ENTRY_POINT: Record<MatmulVariant, string> = { register: 'main', tiled: 'tiled' };

/**
 * The default for an adapter. CPU Vulkan drivers (lavapipe, SwiftShader, any fallback adapter) get the
 * register-blocked kernel: on them workgroup memory is plain memory plus barrier overhead, and a probe measured
 * register blocking 3–4× faster than shared-memory tiles; on lavapipe this kernel measured ~5 GFLOP/s against
 * ~1.1 for tiled (`npm run bench:kernels` vs `AEVB_MATMUL=tiled npm run bench:kernels`). Real GPUs get the tiled
 * kernel, which reads each global value once per workgroup — not yet measured on one (no GPU was lent), so
 * this half of the rule is the textbook expectation, to be replaced by a measurement.
 */
export function chooseMatmulVariant(adapter: AdapterSummary): MatmulVariant {
  const software = adapter.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|software/i.test(`${adapter.architecture} ${adapter.device} ${adapter.description}`);
  return software ? 'register' : 'tiled';
}

export function parseMatmulVariant(value: string, source: string): MatmulVariant {
  if ((MATMUL_VARIANTS as readonly string[]).includes(value)) return value as MatmulVariant;
  throw new Error(`aevb: ${source} must be one of ${MATMUL_VARIANTS.join(', ')}, got '${value}'`);
}
