// Rows through a Redis stream (docs/distributed.md): publish a file's rows, read them back as a consumer of a
// group. Needs a Redis server and `npm install ioredis`; type-checked by the tests, not run.
import { publishRows, redisSource, fileSource } from 'aevb';

await publishRows(fileSource('train.npy'), 'redis://127.0.0.1:6379/mnist', { packRows: 100 });
const rows = redisSource('redis://127.0.0.1:6379/mnist?group=vae&consumer=gpu-1'); // a RowSource
console.log(rows.name);
