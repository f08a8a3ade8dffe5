// Sharded HTTP(S) (docs/distributed.md): trainer 0 of 4 reads every 4th shard, in a seeded order per epoch.
// Type-checked by the tests, not run (data.example is no server).
import { httpShardsSource, parseShardOf } from 'aevb';

const rows = httpShardsSource('https://data.example/mnist/shard-{000..099}.npy', {
  seed: 1,
  shardOf: parseShardOf('0/4'),
});
console.log(rows.name);
