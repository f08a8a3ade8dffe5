// Shared inputs of the three optimizer tests: parameter counts that do and do not fill a workgroup (and one
// past 65535 workgroups' worth would be too slow on a CPU driver; flatGrid's 2-D split is tested in grid.test.ts).
import { seededUniform } from './seeded_random.ts';

export const PARAMETER_COUNTS = [1, 7, 256, 1000, 815_148];

export function optimizerInputs(P: number, seed: number) {
  return {
    params: seededUniform(seed, P, -1, 1),
    grads: seededUniform(seed + 1, P, -0.1, 0.1),
  };
}
