/** The activations a dense layer can fuse into its matmul epilogue, with the ids shaders/matmul.wgsl switches on. */
export const ACTIVATIONS = ['identity', 'tanh', 'relu', 'softplus', 'sigmoid'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * The `ACTIVATION` override of matmul.wgsl: the position in ACTIVATIONS. The shader's ACT_* cases follow this
 * order (ACT_IDENTITY = 0u, ACT_TANH = 1u, …); test/activation.test.ts runs every id on the GPU against the
 * float64 reference of its name, so a reordering on either side fails there.
 */
export function activationId(activation: Activation): number {
  const id = ACTIVATIONS.indexOf(activation);
  if (id < 0) throw new Error(`aevb: unknown activation '${activation}' (expected one of ${ACTIVATIONS.join(', ')})`);
  return id;
}
