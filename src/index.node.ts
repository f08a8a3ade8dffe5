/** aevb's library entry for Node: everything in index.ts, plus files, the bundled MNIST and checkpoints. */
export * from './index.ts';
export { loadMnist, mnistDirectory } from './data/mnist.node.ts';
export { readIdxFile } from './data/idx_file.node.ts';
export { readCheckpoint, writeCheckpoint } from './io/checkpoint.node.ts';
export { openDataSource } from './data/file_source.node.ts';
export { redisSource, RedisStreamSource, type RedisSourceState, type RedisSourceStats } from './data/redis_source.node.ts';
export { publishRows, type PublishOptions, type PublishResult } from './data/redis_publish.node.ts';
