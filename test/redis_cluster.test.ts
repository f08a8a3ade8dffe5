// aevb on a Redis Cluster (issue 21, item 8): three redis-server masters joined by `redis-cli --cluster create`
// (test/servers/redis_server.ts). Publish, consume and acknowledge through the real source, a partly trained
// entry recorded, a malformed entry dead-lettered (the MULTI over the stream, {<stream>}:dead and
// {<stream>}:failures), and one peer round of two ranks (MGET over {RUN}:… keys): no CROSSSLOT anywhere. A URL
// without cluster=1 against a cluster node is refused saying to add it. Needs redis-cli: without it the suite
// fails, saying so, rather than passing by skipping.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Cluster } from 'ioredis';
import { deadStreamOf, redisSource, trainedKeyOf, type DeadLetter } from '../src/data/redis/source.node.ts';
import { publishRows } from '../src/data/redis/publish.node.ts';
import type { RowSource } from '../src/data/row_source.ts';
import { parsePeersUrl } from '../src/peers/peers_url.node.ts';
import { PeerAveraging } from '../src/peers/redis_peers.node.ts';
import { redisServerInstalled, startRedisCluster, type RedisCluster } from './servers/redis_server.ts';
import { rejectsWith, throwsWith } from './gpu_suite.ts';
import { parseRedisConsumerUrl, parseRedisStreamUrl } from '../src/data/redis/url.ts';

const D = 3;
const rowOf = (i: number) => [i / 65536, i / 131072, 1 - i / 65536];

function rowsSource(count: number): RowSource {
  return {
    name: `${count} numbered rows`,
    async *open() {
      const values = new Float32Array(count * D);
      for (let r = 0; r < count; r++) values.set(rowOf(r), r * D);
      yield { values, rows: count, D, scale: 1 };
    },
  };
}

let cluster: RedisCluster | null = null;
let admin: Cluster | null = null;

test.before(async () => {
  if (!redisServerInstalled('redis_cluster')) return;
  cluster = await startRedisCluster(3);
  admin = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0].port }], { redisOptions: { protocol: 2 } });
});

test.after(async () => {
  admin?.disconnect();
  await cluster?.stop();
});

/** A stream name whose slot is served by another node than the seed's (so a plain client gets MOVED). */
async function nameAwayFromSeed(prefix: string): Promise<string> {
  const seed = cluster!.nodes[0].port;
  for (let i = 0; ; i++) {
    const name = `${prefix}-${i}`;
    const slot = Number(await admin!.call('CLUSTER', 'KEYSLOT', name));
    const slots = (await admin!.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const owner = slots.find(([from, to]) => from <= slot && slot <= to)![2][1];
    if (owner !== seed) return name;
  }
}

test('cluster=1 in stream, consumer and peer URLs; db refused beside it', () => {
  assert.is(parseRedisStreamUrl('redis://10.0.0.5:7000/mnist?cluster=1').cluster, true);
  assert.is(parseRedisConsumerUrl('redis://h:1/s?group=g&consumer=c&cluster=1').cluster, true);
  assert.is(parseRedisStreamUrl('redis://h:1/s').cluster, undefined);
  assert.is(parsePeersUrl('redis://h:1/r?size=2&rank=0&every=1&cluster=1').cluster, true);
  throwsWith(() => parseRedisStreamUrl('redis://h:1/s?cluster=1&db=2'), ['a Redis Cluster has database 0 only']);
  throwsWith(
    () => parseRedisStreamUrl('redis://h:1/s?cluster=yes'),
    ["cluster must be 1 (a Redis Cluster) or 0, got 'yes'"],
  );
});

test('publish, consume, a partly trained entry, a dead letter: every key of the stream on its slot, no CROSSSLOT', async () => {
  if (cluster === null) return;
  const stream = await nameAwayFromSeed('rows');
  const url = `${cluster.url}/${stream}`;
  const published = await publishRows(rowsSource(200), `${url}?cluster=1`, { packRows: 10 });
  assert.is(published.rows, 200);
  const badId = String(await admin!.call('XADD', stream, '*', 'd', '3', 't', 'u8', 'x', Buffer.alloc(4)));
  await publishRows(rowsSource(20), `${url}?cluster=1`, { packRows: 10 });

  const source = redisSource(`${url}?cluster=1&group=g&consumer=a&block=100&end-after-idle=500&max-deliveries=1`);
  const letters: DeadLetter[] = [];
  source.onDeadLetter((d) => letters.push(d));
  let rows = 0;
  try {
    for await (const block of source.open()) rows += block.rows;
    // A checkpoint of the first 105 rows: 10 entries acknowledged, the 11th recorded as partly trained.
    await source.checkpointed({ rowsConsumed: 105, source: source.checkpointState(105) });
    assert.is(
      Number(await admin!.call('HLEN', trainedKeyOf(stream, 'g'))),
      1,
      'one partly trained entry in {stream}:trained:g',
    );
    await source.checkpointed({ rowsConsumed: rows, source: source.checkpointState(rows) });
  } finally {
    await source.close();
  }
  assert.is(rows, 220, 'every healthy row delivered');
  assert.equal(
    letters.map((d) => [d.id, d.deadStream, d.failures]),
    [[badId, `{${stream}}:dead`, 1]],
  );
  assert.is(deadStreamOf(stream), `{${stream}}:dead`);
  assert.is(Number(await admin!.call('XLEN', `{${stream}}:dead`)), 1);
  assert.is(Number(((await admin!.call('XPENDING', stream, 'g')) as [number])[0]), 0, 'all acknowledged');
  assert.is(Number(await admin!.call('HLEN', trainedKeyOf(stream, 'g'))), 0, 'bitmaps go with their entries');
  const slot = (key: string) => admin!.call('CLUSTER', 'KEYSLOT', key);
  for (const key of [`{${stream}}:dead`, `{${stream}}:failures`, trainedKeyOf(stream, 'g')])
    assert.is(await slot(key), await slot(stream), key);
});

test('a failure counted under the old name <stream>:failures still counts, and goes with its entry', async () => {
  if (cluster === null) return;
  const stream = await nameAwayFromSeed('legacy');
  const badId = String(await admin!.call('XADD', stream, '*', 'd', '3', 't', 'u8', 'x', Buffer.alloc(4)));
  await admin!.call('HSET', `${stream}:failures`, `g/${badId}`, 1);
  const source = redisSource(
    `${cluster.url}/${stream}?cluster=1&group=g&consumer=a&block=100&end-after-idle=300&max-deliveries=2`,
  );
  const letters: DeadLetter[] = [];
  source.onDeadLetter((d) => letters.push(d));
  try {
    for await (const block of source.open()) assert.unreachable(`no rows: ${block.rows}`);
  } finally {
    await source.close();
  }
  assert.equal(
    letters.map((d) => d.failures),
    [2],
    'the old count and this failure: dead-lettered at max-deliveries=2',
  );
  assert.is(Number(await admin!.call('HLEN', `${stream}:failures`)), 0);
});

test('a URL without cluster=1 against a cluster node is refused, saying to add it', async () => {
  if (cluster === null) return;
  const stream = await nameAwayFromSeed('plain');
  const url = `${cluster.url}/${stream}?reconnect-for=0`;
  await rejectsWith(
    () => publishRows(rowsSource(10), url, { packRows: 10 }),
    /MOVED .*\(the server is a node of a Redis Cluster: add cluster=1 to the URL\)/,
  );
});

test('peers: one round of two ranks over {RUN}:… keys gives both the same mean, and a final round', async () => {
  if (cluster === null) return;
  const run = await nameAwayFromSeed('run');
  const peers = [0, 1].map(
    (rank) =>
      new PeerAveraging(
        parsePeersUrl(`${cluster!.url}/${run}?cluster=1&size=2&rank=${rank}&every=1&heartbeat=100&deadline=10000`),
      ),
  );
  const mean = async (vectors: Float32Array[]) =>
    Float32Array.from(vectors[0], (_, i) => vectors.reduce((sum, v) => sum + v[i], 0) / vectors.length);
  try {
    await Promise.all(peers.map((p) => p.join()));
    const inputs = [Float32Array.of(1, 2, 3, 4), Float32Array.of(3, 4, 5, 6)];
    const rounds = await Promise.all(peers.map((p, rank) => p.average(0, inputs[rank], mean)));
    for (const r of rounds) {
      assert.equal(r.members, [0, 1]);
      assert.equal([...r.parameters], [2, 3, 4, 5]);
    }
    const finals = await Promise.all(peers.map((p, rank) => p.finish(1, 10 + rank, inputs[1 - rank], mean)));
    for (const f of finals) assert.equal([...f!.parameters], [2, 3, 4, 5]);
    assert.is(Number(await admin!.call('EXISTS', `{${run}}:latest`)), 1, 'the latest average under {RUN}:latest');
    assert.is(
      await admin!.call('CLUSTER', 'KEYSLOT', `{${run}}:latest`),
      await admin!.call('CLUSTER', 'KEYSLOT', run),
      "on the run's slot",
    );
  } finally {
    for (const p of peers) await p.leave();
  }
});

test.run();
