/**
 * The widths the model's kernels can dispatch, checked from the architecture alone (no device), so that rows too
 * wide are refused at set-up, before any row or buffer is allocated, instead of at the first dispatch. The binding
 * limit is a layer's bias gradient: column_sum sums each of a layer's N output columns in one invocation of a 1-D
 * grid, so N ≤ 65535 workgroups × COLUMN_SUM_WORKGROUP (src/kernels/column_sum.ts, kernel.ts linearGrid).
 */
import { COLUMN_SUM_WORKGROUP } from '../kernels/column_sum.ts';
import { MAX_WORKGROUPS_PER_DIMENSION } from '../kernels/kernel.ts';
import { allLayers, vaeLayers, type VaeArchitecture } from './vae_architecture.ts';

/** The most outputs one layer may have: what one column_sum dispatch can sum. */
export const MAX_LAYER_OUTPUTS = MAX_WORKGROUPS_PER_DIMENSION * COLUMN_SUM_WORKGROUP;

/** Why the kernels of a model of `arch` cannot be dispatched (the first layer too wide, with the limit), or null. */
export function kernelLimitProblem(arch: VaeArchitecture): string | null {
  for (const layer of allLayers(vaeLayers(arch))) {
    // A convolution's bias gradient is channel_sum's, over its channels (src/kernels/channel_sum.ts checks them).
    if (layer.kind === 'dense' && layer.outputs > MAX_LAYER_OUTPUTS) {
      const perRow =
        arch.likelihood === 'gaussian' && layer.name === 'decoder.out'
          ? Math.floor(MAX_LAYER_OUTPUTS / 2)
          : MAX_LAYER_OUTPUTS;
      return (
        `${layer.name} would have ${layer.outputs} outputs, more than the ${MAX_LAYER_OUTPUTS} that one column_sum dispatch can sum ` +
        `(${MAX_WORKGROUPS_PER_DIMENSION} workgroups, WebGPU's limit per dimension, of ${COLUMN_SUM_WORKGROUP} invocations)` +
        (layer.name === 'decoder.out' ? `: the model takes rows of at most ${perRow} values` : '')
      );
    }
  }
  return null;
}
