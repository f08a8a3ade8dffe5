// Node-only: which data a `aevb train` run reads — the bundled MNIST unless --data says otherwise — and its
// test set, held in memory and binarized once.
import { mnistFile } from '../data/mnist.node.ts';
import { fileSource } from '../data/file_source.node.ts';
import type { DataFormat } from '../data/row_format.ts';
import { loadRows, loadRowSet, rowLengthOf } from '../data/read_rows.ts';
import { isAcknowledgingSource } from '../data/acknowledging_source.ts';
import { RedisStreamSource } from '../data/redis/source.node.ts';
import { redactUrl } from '../data/redis/url.ts';
import { splitValidation } from '../data/validation_split.ts';
import { remoteSourceFor } from '../data/remote_source.node.ts';
import type { RowSource } from '../data/row_source.ts';
import { syntheticSource } from '../data/synthetic_source.ts';

export interface DataSettings {
  /** A file, a shard directory, 'synthetic:ROWSxD' / 'synthetic:infxD', or null for the bundled MNIST. */
  data: string | null;
  testData: string | null;
  format: DataFormat;
  dim: number | undefined;
  binarize: boolean;
  /** Dequantize the evaluation sets once (a run with config.dequantize 'uniform'); absent: no. */
  dequantize?: boolean;
  seed: number;
  /** Hold out this share of the training rows for validation (by seed), or null. */
  validationSplit: number | null;
  /** A validation file, or null. */
  validationData: string | null;
  /** For HTTP(S) shards: train on shard i of every N (--shard-of i/N), or null. */
  shardOf?: { index: number; count: number } | null;
  /** Told the rows' D as soon as it is known, before any row set is loaded: throws when the model cannot take it. */
  checkRowLength?: (D: number) => void;
  /** A Redis stream's password when its URL has none (REDIS_PASSWORD, --redis-password-file). */
  redisPassword?: string;
}

export interface RunData {
  train: RowSource;
  D: number;
  /** Test rows (binarized if the run binarizes), or null when there is no test set. */
  test: Float32Array | null;
  /** Validation rows (held out of `train`, or from their own file; binarized likewise), or null. */
  validation: Float32Array | null;
  description: string;
  /** Rows per pass when known up front (the bundled MNIST, finite synthetic data), else null: learned when the first epoch ends. */
  rowsPerEpoch: number | null;
  /** The Redis stream the training rows come from (under a validation split too), for its dead letters; or null. */
  stream: RedisStreamSource | null;
  /** Releases what the data holds open (a Redis stream's connections); every path out of a run must call it. */
  close(): Promise<void>;
}

const SYNTHETIC = /^synthetic:(\d+|inf)x(\d+)$/;

/** The rows of finite synthetic data (`synthetic:ROWSxD`), known before a pass: epoch 1's bar gets its total. */
function syntheticRows(path: string): number | null {
  const m = SYNTHETIC.exec(path);
  return m === null || m[1] === 'inf' ? null : Number(m[1]);
}

/** The row source a data path names: a URL (Redis, HTTP(S) shards), a file, a shard directory, or 'synthetic:ROWSxD' (seeded by d.seed). */
export function sourceFor(
  path: string,
  d: Pick<DataSettings, 'format' | 'dim' | 'seed' | 'shardOf' | 'redisPassword'>,
): RowSource {
  const remote = remoteSourceFor(path, {
    seed: d.seed,
    format: d.format,
    dim: d.dim,
    shardOf: d.shardOf ?? undefined,
    redisPassword: d.redisPassword,
  });
  if (remote !== null) return remote;
  const shardOf = d.shardOf ?? undefined;
  const synthetic = SYNTHETIC.exec(path);
  if (synthetic && shardOf !== undefined)
    throw new Error(`${path}: --shard-of splits shards (a directory or HTTP(S) shards); synthetic data has none`);
  if (synthetic)
    return syntheticSource({
      rows: synthetic[1] === 'inf' ? Infinity : Number(synthetic[1]),
      D: Number(synthetic[2]),
      seed: d.seed,
    });
  return fileSource(path, { format: d.format, dim: d.dim, shardOf });
}

/** A test set held in memory, binarized once if the run binarizes: `path`, or the bundled MNIST's when null. */
export async function loadTestSet(
  path: string | null,
  d: Pick<DataSettings, 'format' | 'dim' | 'binarize' | 'dequantize' | 'redisPassword'>,
): Promise<{ values: Float32Array; D: number; name: string }> {
  const name = path ?? mnistFile('test');
  const source = sourceFor(name, { format: d.format, dim: d.dim, seed: 0, redisPassword: d.redisPassword });
  try {
    const { values, D } = await loadRowSet(source, d);
    return { values, D, name: redactUrl(name) };
  } finally {
    if (isAcknowledgingSource(source)) await source.close?.();
  }
}

/** Validation rows held in memory at most: a held-out share of an unbounded stream stops here. */
export const MAX_VALIDATION_ROWS = 10_000;

/** The run's data; on an error, what it opened is closed before the error goes on (no connection keeps the process alive). */
export async function setUpData(d: DataSettings): Promise<RunData> {
  if (d.validationSplit !== null && d.validationData !== null)
    throw new Error('give --validation-split or --validation-data, not both');
  const mnist = d.data === null;
  if (mnist && d.shardOf)
    throw new Error(
      '--shard-of splits the shards of --data (a directory or HTTP(S) shards); the bundled MNIST has none',
    );
  const source = mnist ? fileSource(mnistFile('train')) : sourceFor(d.data!, d);
  const close = async () => {
    if (isAcknowledgingSource(source)) await source.close?.();
  };
  try {
    return await openData(d, source, close);
  } catch (error) {
    await close();
    throw error;
  }
}

async function openData(d: DataSettings, source: RowSource, close: () => Promise<void>): Promise<RunData> {
  const mnist = d.data === null;
  let train = source;
  let validation: Float32Array | null = null;
  if (d.validationSplit !== null) {
    const split = splitValidation(train, { fraction: d.validationSplit, seed: d.seed });
    train = split.train;
    validation = await loadRows(split.validation, {
      maxRows: MAX_VALIDATION_ROWS,
      binarize: d.binarize,
      dequantize: d.dequantize,
    });
  }
  const testPath = mnist ? null : d.testData;
  // The unsplit source's D (the same): a Redis stream tells it without taking entries from its group.
  const D = await rowLengthOf(source);
  d.checkRowLength?.(D);
  let test: Float32Array | null = null;
  if (mnist || testPath !== null) {
    const set = await loadTestSet(testPath, d);
    if (set.D !== D) throw new Error(`${set.name}: test rows have ${set.D} values, but the training data's have ${D}`);
    test = set.values;
  }
  if (d.validationData !== null) {
    const set = await loadTestSet(d.validationData, d);
    if (set.D !== D)
      throw new Error(`${set.name}: validation rows have ${set.D} values, but the training data's have ${D}`);
    validation = set.values;
  }
  if (validation !== null && validation.length !== 0 && validation.length % D !== 0)
    throw new Error(`validation rows do not have the training data's ${D} values`);
  const description = mnist
    ? 'MNIST (bundled, 60000 train / 10000 test)'
    : `${train.name}${testPath ? `, test ${redactUrl(testPath)}` : ', no test set (--test-data)'}`;
  return {
    train,
    D,
    test,
    validation,
    description,
    rowsPerEpoch: d.validationSplit !== null ? null : mnist ? 60_000 : syntheticRows(d.data!),
    stream: source instanceof RedisStreamSource ? source : null,
    close,
  };
}
