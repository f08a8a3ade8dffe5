// The one way a test writes a TrainConfig: the defaults (DEFAULT_TRAIN_CONFIG) with the test's own choices on
// top, so a test states only what it is about (model shape, activation, optimizer, seed) and a field added to
// TRAIN_CONFIG_FIELDS does not have to be spelled out again in every suite.
import { DEFAULT_TRAIN_CONFIG, TRAIN_CONFIG_FIELDS, type TrainConfig } from '../src/train/train_config.ts';

/**
 * DEFAULT_TRAIN_CONFIG with `overrides` on top. The fields the table marks optional (dequantize, minLogVariance,
 * method) are left out unless overridden, as in a config written before they existed: the trainer reads them as
 * their defaults, and a checkpoint's config holds only what the test set.
 *
 *     const CONFIG = testConfig({ D: 12, hidden: [8], latent: 3, activation: 'tanh', init: 'glorot', batch: 5, lr: 0.01, seed: 3 });
 */
export function testConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  const config: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(TRAIN_CONFIG_FIELDS)) {
    if (!('optional' in field && field.optional))
      config[name] = structuredClone(DEFAULT_TRAIN_CONFIG[name as keyof TrainConfig]);
  }
  return { ...(config as TrainConfig), ...overrides };
}
