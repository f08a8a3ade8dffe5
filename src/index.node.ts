/** aevb's library entry for Node: everything in index.ts, plus data files, the bundled MNIST and checkpoints on disk. */
export * from './index.ts';
export { mnistSource } from './data/mnist.node.ts';
export { fileSource } from './data/file_source.node.ts';
export { readCheckpoint, writeCheckpoint } from './io/checkpoint.node.ts';
