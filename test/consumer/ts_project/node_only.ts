// Consumer check (b), Bundler resolution with customConditions ["node"]: the Node entry's own exports resolve.
import { readCheckpoint, fileSource, redisSource, mnistSource, type RedisStreamSource } from 'aevb';

const source: RedisStreamSource = redisSource('redis://127.0.0.1:6379/mnist');
console.log(readCheckpoint, fileSource, mnistSource, source);
