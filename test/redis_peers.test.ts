// Parameter averaging across trainers through a real redis-server (src/peers/redis_peers.node.ts): every
// trainer of a round gets the same bits, the mean of the members' parameters; a trainer with no heartbeat is
// not waited for; one that misses the deadline is left out but takes the same average; a trainer that joins
// late picks up the latest average; mismatched models are refused. Every wait is bounded by a deadline.
// Membership by heartbeat: a trainer killed mid-run costs the others one heartbeat timeout, once; one that
// finished is waited for by no later round; the final round gives ranks that stopped at different steps the same
// bits; a rank restarted behind the others re-joins at the current round; a run that is over refuses a joiner.
// A rank alive but hung (heartbeat on, no round entered, never finishing) holds the final round up only for
// final-deadline; one still training (entering rounds) is waited for past it.
// Size and rank come from the environment (WORLD_SIZE, RANK, JOB_COMPLETION_INDEX) when the URL leaves them out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePeersUrl, type PeerEnvironment } from '../src/peers/peers_url.node.ts';
import { PeerAveraging } from '../src/peers/redis_peers.node.ts';
import { columnSum } from './reference/column_sum.ts';
import { redisServerInstalled, startRedisServer, type RedisServer } from './servers/redis_server.ts';
import { seededUniform } from './seeded_random.ts';
import { rejectsWith, throwsWith } from './gpu_suite.ts';

const P = 1000;
const vector = (seed: number) => Float32Array.from(seededUniform(seed, P, -1, 1));
const sameBits = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

test('peer URLs: size, rank and every required; rank below size; unknown parameters refused', () => {
  const s = parsePeersUrl('redis://127.0.0.1:6379/vae-run?size=4&rank=3&every=100&deadline=5000');
  assert.equal(
    [s.run, s.size, s.rank, s.every, s.deadlineMs, s.heartbeatMs, s.finalDeadlineMs],
    ['vae-run', 4, 3, 100, 5000, 1000, 5000],
    'final-deadline defaults to the deadline',
  );
  assert.is(parsePeersUrl('redis://h:1/r?size=2&rank=0&every=1&final-deadline=700').finalDeadlineMs, 700);
  throwsWith(() => parsePeersUrl('redis://h:1/r?size=2&rank=2&every=1'), ['rank must be below size (2), got 2']);
  throwsWith(() => parsePeersUrl('redis://h:1/r?size=2&rank=0'), ['expected ?every=']);
  throwsWith(() => parsePeersUrl('redis://h:1/r?size=2&rank=0&every=1&timeout=3'), ["unknown parameter 'timeout'"]);
  // A password in the URL is never in a message.
  for (const bad of [
    'size=2&rank=2&every=1',
    'size=2&rank=0',
    'size=2&rank=0&every=1&timeout=3',
    'size=x&rank=0&every=1',
  ]) {
    const url = `redis://:sekrit@h:1/r?${bad}`;
    assert.throws(
      () => parsePeersUrl(url),
      (e: Error) => e.message.startsWith('redis://h:1/r?') && !e.message.includes('sekrit'),
    );
  }
});

test('size and rank from the environment when the URL leaves them out: WORLD_SIZE, RANK, else JOB_COMPLETION_INDEX; the URL wins', () => {
  const none: PeerEnvironment = { rank: undefined, jobCompletionIndex: undefined, worldSize: undefined };
  const at = (url: string, env: Partial<PeerEnvironment>) => {
    const s = parsePeersUrl(url, { ...none, ...env });
    return [s.size, s.rank];
  };
  assert.equal(at('redis://h:1/r?every=10', { worldSize: '4', rank: '2' }), [4, 2], 'torchrun');
  assert.equal(at('redis://h:1/r?every=10', { worldSize: '4', jobCompletionIndex: '3' }), [4, 3], 'an Indexed Job');
  assert.equal(
    at('redis://h:1/r?every=10', { worldSize: '4', rank: '1', jobCompletionIndex: '3' }),
    [4, 1],
    'RANK before the index',
  );
  assert.equal(at('redis://h:1/r?size=2&rank=0&every=10', { worldSize: '4', rank: '3' }), [2, 0], "the URL's own win");
  throwsWith(
    () => parsePeersUrl('redis://h:1/r?every=10', { ...none, rank: '0' }),
    ['expected ?size=', "or the environment's WORLD_SIZE"],
  );
  throwsWith(
    () => parsePeersUrl('redis://h:1/r?every=10', { ...none, worldSize: '2' }),
    ['expected ?rank=', "or the environment's RANK or JOB_COMPLETION_INDEX"],
  );
  throwsWith(
    () => parsePeersUrl('redis://h:1/r?every=10', { ...none, worldSize: '2', rank: 'one' }),
    ["RANK (the environment's, as the URL gives no ?rank=) must be an integer ≥ 0, got 'one'"],
  );
  throwsWith(
    () => parsePeersUrl('redis://h:1/r?every=10', { ...none, worldSize: '2', jobCompletionIndex: '2' }),
    ['rank must be below size (2), got 2'],
  );
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
    const p = new PeerAveraging(
      parsePeersUrl(`${server.url}/${run}?size=${size}&rank=${rank}&every=10&heartbeat=100${params}`),
    );
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
    const { latest, nextRound } = await late.join();
    assert.is(latest?.round, 7);
    assert.is(nextRound, 8, 'it numbers its next round after the latest');
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
    assert.ok(
      sameBits(rs.parameters, ra.parameters) && sameBits(rb.parameters, ra.parameters),
      'all three hold the same parameters',
    );
    // Once rank 2 has left, a round of 0 and 1 closes as soon as both have joined.
    await slow.leave();
    const [r2] = await Promise.all([a.average(2, vector(20), meanOf), b.average(2, vector(21), meanOf)]);
    assert.equal(r2.members, [0, 1]);
    assert.ok(sameBits(r2.parameters, await meanOf([vector(20), vector(21)])));
    await a.leave();
    await b.leave();
  });

  test('a trainer killed mid-run costs the others one heartbeat timeout, once: later rounds do not wait for it', async () => {
    const run = `run-${++runs}`;
    // heartbeat 100 ms: gone after 300 ms of silence; the deadline (10 s) is never what ends a wait.
    const [a, b, c] = [0, 1, 2].map((rank) => peer(run, 3, rank, '&deadline=10000'));
    await Promise.all([a.join(), b.join(), c.join()]);
    const first = await Promise.all([a, b, c].map((t, k) => t.average(0, vector(k), meanOf)));
    assert.equal(first[0].members, [0, 1, 2]);
    c.abandon(); // kill -9: no goodbye
    const seconds: number[] = [];
    for (let r = 1; r <= 5; r++) {
      const [ra, rb] = await Promise.all([
        a.average(r, vector(10 * r), meanOf),
        b.average(r, vector(10 * r + 1), meanOf),
      ]);
      assert.equal(ra.members, [0, 1], `round ${r}`);
      assert.ok(sameBits(ra.parameters, rb.parameters));
      seconds.push(Math.max(ra.seconds, rb.seconds));
    }
    assert.ok(
      seconds[0] <= 0.3 + 0.25,
      `the first round after the kill waits at most the heartbeat timeout (0.3 s): ${seconds[0]} s`,
    );
    assert.ok(Math.max(...seconds.slice(1)) < 0.1, `the rounds after it do not wait: ${seconds.join(', ')} s`);
    await a.leave();
    await b.leave();
  });

  test('two ranks finishing at different steps: the one done is waited for by no round, and the final round gives both the same bits', async () => {
    const run = `run-${++runs}`;
    const [a, b] = [0, 1].map((rank) => peer(run, 2, rank, '&deadline=10000'));
    await Promise.all([a.join(), b.join()]);
    await Promise.all([a.average(0, vector(1), meanOf), b.average(0, vector(2), meanOf)]);
    // Rank 0 stops at step 15 (5 steps after round 0); rank 1 goes on for two more rounds and stops at step 37.
    const aDone = a.finish(1, 15, vector(3), meanOf);
    await new Promise((r) => setTimeout(r, 50));
    for (const r of [1, 2]) {
      const round = await b.average(r, vector(10 + r), meanOf);
      assert.equal(round.members, [1], 'rank 0 has finished: not waited for');
      assert.ok(round.seconds < 0.1, `round ${r} took ${round.seconds} s`);
    }
    const bDone = await b.finish(3, 37, vector(4), meanOf);
    const aFinal = (await aDone)!;
    const expected = await meanOf([vector(3), vector(4)]);
    for (const f of [aFinal, bDone!]) {
      assert.equal([f.final, f.members, f.steps], [true, [0, 1], [15, 37]]);
      assert.ok(sameBits(f.parameters, expected), 'the same bits on both ranks: the mean of their last parameters');
    }
    // The run is over: a trainer that joins it now is refused, naming the run.
    const late = peer(run, 2, 1, '&deadline=10000');
    await rejectsWith(
      () => late.join(),
      new RegExp(`${run}: this run is over \\(its final round closed with ranks 0, 1\\); give a new run its own name`),
    );
    for (const t of [a, b, late]) await t.leave();
  });

  test('the final round leaves out a rank that died, and one stopped while waiting leaves it without a result', async () => {
    const run = `run-${++runs}`;
    const [a, b, c] = [0, 1, 2].map((rank) => peer(run, 3, rank, '&deadline=10000'));
    await Promise.all([a.join(), b.join(), c.join()]);
    c.abandon();
    const stop = new AbortController();
    const stopped = b.finish(0, 10, vector(2), meanOf, { signal: stop.signal });
    await new Promise((r) => setTimeout(r, 100));
    stop.abort();
    assert.is(await stopped, null, 'rank 1, stopped before the round closed, is out of it');
    await b.leave();
    const f = (await a.finish(0, 12, vector(1), meanOf))!;
    assert.equal(f.members, [0], 'neither the dead rank 2 nor the stopped rank 1');
    assert.ok(f.seconds < 0.5, `no wait beyond the heartbeat timeout: ${f.seconds} s`);
    assert.ok(sameBits(f.parameters, vector(1)));
    await a.leave();
  });

  test('the final round waits for a hung rank (heartbeat on, no progress) only final-deadline, naming it absent; one still entering rounds is waited for past it', async () => {
    const run = `run-${++runs}`;
    const [a, b, c] = [0, 1, 2].map((rank) => peer(run, 3, rank, '&deadline=300&final-deadline=1500'));
    await Promise.all([a.join(), b.join(), c.join()]);
    // Rank 2 hangs: its heartbeat goes on (join started it), it enters no round and never finishes.
    // Rank 1 trains on for ~3 s, longer than final-deadline, entering a round every ~0.5 s (each waits the 0.3 s
    // deadline for the hung rank), then finishes.
    const aDone = a.finish(0, 10, vector(1), meanOf);
    const bRounds = (async () => {
      for (let r = 0; r < 6; r++) {
        await b.average(r, vector(20 + r), meanOf);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return b.finish(6, 80, vector(2), meanOf);
    })();
    const before = performance.now();
    const [fa, fb] = await Promise.race([
      Promise.all([aDone, bRounds]),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the final round still waits for the hung rank after 8 s')), 8000),
      ),
    ]);
    const seconds = (performance.now() - before) / 1000;
    for (const f of [fa!, fb!]) {
      assert.equal([f.members, f.absent, f.steps], [[0, 1], [2], [10, 80]], 'rank 1, still training, is waited for');
      assert.ok(sameBits(f.parameters, await meanOf([vector(1), vector(2)])));
    }
    assert.ok(seconds >= 2.5, `rank 1's rounds took ${seconds.toFixed(2)} s: it was waited for past final-deadline`);
    assert.ok(
      seconds < 3 + 1.5 + 1.5,
      `closed ${seconds.toFixed(2)} s after the start: at most final-deadline after rank 1`,
    );
    for (const t of [a, b, c]) await t.leave();
  });

  test('a rank restarted behind the others re-joins at the current round with the latest average; a rank never seen is waited for in round 0 only', async () => {
    const run = `run-${++runs}`;
    // size 3: rank 2 never starts. Round 0 waits for it up to the deadline; round 1 does not.
    const [a, b] = [0, 1].map((rank) => peer(run, 3, rank, '&deadline=400'));
    await Promise.all([a.join(), b.join()]);
    const r0 = await Promise.all([a.average(0, vector(1), meanOf), b.average(0, vector(2), meanOf)]);
    assert.ok(r0[0].seconds >= 0.35, `round 0 waited for the rank not yet started (${r0[0].seconds} s)`);
    const r1 = await Promise.all([a.average(1, vector(3), meanOf), b.average(1, vector(4), meanOf)]);
    assert.ok(r1[0].seconds < 0.2, `round 1 did not (${r1[0].seconds} s)`);
    b.abandon(); // rank 1 crashes …
    await new Promise((r) => setTimeout(r, 350));
    const alone = await a.average(2, vector(5), meanOf);
    assert.equal(alone.members, [0]);
    const restarted = peer(run, 3, 1, '&deadline=400'); // … and comes back from a checkpoint of round 0's time
    const { latest, nextRound } = await restarted.join();
    assert.equal([latest?.round, nextRound], [2, 3], "it takes round 2's average and joins at round 3, not at round 1");
    assert.ok(sameBits(latest!.parameters, alone.parameters));
    const r3 = await Promise.all([a.average(3, vector(6), meanOf), restarted.average(nextRound, vector(7), meanOf)]);
    assert.equal(
      r3.map((r) => r.members),
      [
        [0, 1],
        [0, 1],
      ],
      "both in round 3: the restarted rank's work counts",
    );
    await a.leave();
    await restarted.leave();
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
