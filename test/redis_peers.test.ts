// Parameter averaging across trainers through a real redis-server (src/peers/redis_peers.node.ts): every
// trainer of a round gets the same bits, the mean of the members' parameters; a trainer with no heartbeat is
// not waited for; one that misses the deadline is left out but takes the same average; a trainer that joins
// late picks up the latest average; mismatched models are refused. Every wait is bounded by a deadline.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePeersUrl, PeerAveraging } from '../src/peers/redis_peers.node.ts';
import { columnSum } from './reference/column_sum.ts';
import { redisServerInstalled, startRedisServer, type RedisServer } from './servers/redis_server.ts';
import { seededUniform } from './seeded_random.ts';
import { rejectsWith, throwsWith } from './gpu_suite.ts';

const P = 1000;
const vector = (seed: number) => Float32Array.from(seededUniform(seed, P, -1, 1));
const sameBits = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

test('peer URLs: size, rank and every required; rank below size; unknown parameters refused', () => {
  const s = parsePeersUrl('redis://127.0.0.1:6379/vae-run?size=4&rank=3&every=100&deadline=5000');
  assert.equal([s.run, s.size, s.rank, s.every, s.deadlineMs, s.heartbeatMs], ['vae-run', 4, 3, 100, 5000, 1000]);
  throwsWith(() => parsePeersUrl('redis://h:1/r?size=2&rank=2&every=1'), ['rank must be below size (2), got 2']);
  throwsWith(() => parsePeersUrl('redis://h:1/r?size=2&rank=0'), ['expected ?every=']);
  throwsWith(() => parsePeersUrl('redis://h:1/r?size=2&rank=0&every=1&timeout=3'), ["unknown parameter 'timeout'"]);
});

/** The members' mean as a trainer would take it (a trainer's is Vae.averageOf, on the GPU; here float64, rounded). */
async function meanOf(vectors: Float32Array[]): Promise<Float32Array> {
  const stacked = new Float32Array(vectors.length * vectors[0].length);
  vectors.forEach((v, k) => stacked.set(v, k * v.length));
  return Float32Array.from(columnSum(stacked, vectors.length, vectors[0].length, 1 / vectors.length));
}

if (redisServerInstalled('the parameter averaging tests')) {
  let server: RedisServer;
  let runs = 0;
  const peers: PeerAveraging[] = [];
  test.before(async () => {
    server = await startRedisServer();
  });
  test.after(async () => {
    for (const p of peers) p.abandon();
    await server?.stop();
  });
  const peer = (run: string, size: number, rank: number, params = '') => {
    const p = new PeerAveraging(parsePeersUrl(`${server.url}/${run}?size=${size}&rank=${rank}&every=10&heartbeat=100${params}`));
    peers.push(p);
    return p;
  };

  test('three trainers: each gets the mean of all three, bit-identical; a late joiner picks it up', async () => {
    const run = `run-${++runs}`;
    const trainers = [0, 1, 2].map((rank) => peer(run, 3, rank, '&deadline=10000'));
    await Promise.all(trainers.map((t) => t.join()));
    const inputs = [vector(1), vector(2), vector(3)];
    const rounds = await Promise.all(trainers.map((t, rank) => t.average(7, inputs[rank], meanOf)));
    const expected = await meanOf(inputs);
    for (const r of rounds) {
      assert.equal(r.members, [0, 1, 2]);
      assert.ok(sameBits(r.parameters, expected), 'the same bits on every trainer');
      assert.is(r.bytesReceived, 3 * 4 * P);
    }
    assert.is(rounds[0].bytesSent, 2 * 4 * P, 'rank 0 also stores the average');
    assert.ok(Math.abs(expected[0] - (inputs[0][0] + inputs[1][0] + inputs[2][0]) / 3) < 1e-6);
    const late = peer(run, 3, 1, '&deadline=10000');
    const latest = await late.join();
    assert.is(latest?.round, 7);
    assert.ok(sameBits(latest!.parameters, expected));
    for (const t of [...trainers, late]) await t.leave();
  });

  test('a trainer with no heartbeat is not waited for; one that misses the deadline takes the same average', async () => {
    const run = `run-${++runs}`;
    // size 4: rank 3 never starts (no heartbeat); rank 2 beats but is slow.
    const [a, b, slow] = [0, 1, 2].map((rank) => peer(run, 4, rank, '&deadline=400'));
    await Promise.all([a.join(), b.join(), slow.join()]);
    const [ra, rb] = await Promise.all([a.average(1, vector(10), meanOf), b.average(1, vector(11), meanOf)]);
    assert.equal(ra.members, [0, 1], 'closed at the deadline without the slow trainer and without rank 3');
    assert.ok(ra.seconds >= 0.35, `waited for the deadline (${ra.seconds} s)`);
    const rs = await slow.average(1, vector(12), meanOf);
    assert.equal(rs.members, [0, 1]);
    assert.ok(sameBits(rs.parameters, ra.parameters) && sameBits(rb.parameters, ra.parameters), 'all three hold the same parameters');
    // Once rank 2 has left, a round of 0 and 1 closes as soon as both have joined.
    await slow.leave();
    const [r2] = await Promise.all([a.average(2, vector(20), meanOf), b.average(2, vector(21), meanOf)]);
    assert.equal(r2.members, [0, 1]);
    assert.ok(sameBits(r2.parameters, await meanOf([vector(20), vector(21)])));
    await a.leave();
    await b.leave();
  });

  test('trainers of different models are refused with both sizes', async () => {
    const run = `run-${++runs}`;
    const [a, b] = [0, 1].map((rank) => peer(run, 2, rank, '&deadline=5000'));
    await Promise.all([a.join(), b.join()]);
    await rejectsWith(async () => {
      await Promise.all([a.average(1, vector(1), meanOf), b.average(1, vector(2).subarray(0, 10), meanOf)]);
    }, /run-\d+:1: rank \d sent \d+ parameters, this trainer \(rank \d\) has \d+: are they training the same model\?/);
    a.abandon();
    b.abandon();
  });
}

test.run();
