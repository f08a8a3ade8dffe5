/**
 * Philox stream ids: every random use of a run draws from Philox(seed, counter, stream) with its own stream,
 * so changing one use (say, the shuffle) never shifts the numbers another one sees.
 */
export const RANDOM_STREAMS = {
  /** ε of the latent sample in a training step (GPU; counter = step). */
  latentNoise: 0,
  /** Dynamic binarization of a training minibatch (CPU; counter = step). */
  binarization: 1,
  /** The permutation of an epoch (CPU; counter = epoch). */
  shuffle: 2,
  /** The one-off binarization of a test set (CPU; counter = 0). */
  testBinarization: 3,
  /** Parameter initialisation (CPU; counter = tensor index). */
  initialization: 4,
  /** ε of the latent sample during evaluation (GPU; counter = chunk index). */
  evaluationNoise: 5,
  /** Rows of the synthetic dataset (CPU; counter = block index). */
  synthetic: 6,
  /** Draws of the streaming shuffle window (CPU; counter = epoch · 2²⁰ + draw block). */
  shuffleWindow: 7,
  /** ε of importance sampling (GPU; counter = chunk · k + sample). */
  importanceNoise: 8,
  /** z ~ N(0, I) for pictures of samples from the prior (CPU; counter = 0). */
  priorSamples: 9,
  /** Which rows a validation split holds out (CPU; counter = ⌊row index / 2³⁴⌋, element row index mod 2³⁴). */
  validationSplit: 10,
  /** The order of HTTP(S) shards in an epoch (CPU; counter = epoch). */
  shardOrder: 11,
  /** ε of a z sampled while encoding a source (CPU; counter = row index, so ε does not depend on the chunking). */
  encodingNoise: 12,
  /** Uniform dequantization of a training minibatch (CPU; counter = step). */
  dequantization: 13,
  /** The one-off dequantization of an evaluation set (CPU; counter = 0). */
  testDequantization: 14,
  /** z ~ N(0, I) dreamed in the sleep phase of a wake-sleep step (GPU; counter = step). */
  sleepLatents: 15,
  /** The normals behind x ~ p(x|z) dreamed in the sleep phase of a wake-sleep step (GPU; counter = step). */
  sleepData: 16,
} as const;
