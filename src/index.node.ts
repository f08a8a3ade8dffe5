/** aevb's library entry for Node: everything in index.ts, plus data files, the bundled MNIST and checkpoints on disk. */
export * from './index.ts';
export { mnistSource } from './data/mnist.node.ts';
export { fileSource } from './data/file_source.node.ts';
export { readCheckpoint, writeCheckpoint } from './io/checkpoint.node.ts';
export {
  redisSource,
  type RedisStreamSource,
  type RedisSourceState,
  type RedisSourceStats,
} from './data/redis/source.node.ts';
export { publishRows, type PublishOptions, type PublishResult } from './data/redis/publish.node.ts';
export { PeerAveraging, type AveragingRound } from './peers/redis_peers.node.ts';
export { parsePeersUrl, type PeerSettings } from './peers/peers_url.node.ts';
