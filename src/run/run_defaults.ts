/**
 * The defaults of a training run, stated once: the library's trainingRun, the `aevb train` flags, the paper
 * command and the page take them from here.
 */
import { EVAL_CHUNK_ROWS } from '../vae/vae.ts';
import { METRICS_EVERY } from '../train/trainer.ts';

export const RUN_DEFAULTS = {
  /** Passes over the training rows when neither epochs nor steps are given. */
  epochs: 1,
  /** Rows in the seeded shuffle window: all of MNIST, so a full shuffle there. */
  shuffleWindow: 60_000,
  /** Binarize every minibatch afresh (Bernoulli with the value as probability). */
  binarize: true,
  /** Extra checkpoints every this many steps; 0: only at each epoch's end and the run's end. */
  checkpointEvery: 0,
  /** Read the minibatch metrics back every this many steps. */
  metricsEvery: METRICS_EVERY,
  /** Rows per GPU submission when evaluating. */
  evalChunk: EVAL_CHUNK_ROWS,
  /** The most held-out rows a validation split keeps in memory to evaluate on. */
  validationRows: 10_000,
} as const;
