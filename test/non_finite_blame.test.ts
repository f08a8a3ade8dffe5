// Who is to blame when training stops at a NaN or ±Inf on finite data (issue 22, item 11): the red team's runs
// that diverged through --beta, --weight-decay or a peer's parameters were all told "Try a smaller --lr". The
// message now names the settings that scale the gradients beyond their defaults, and an average of the peers
// that is not finite is refused as the peers' fault when it arrives, before a step or a checkpoint uses it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NonFiniteError } from '../src/train/non_finite_error.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../src/train/train_config.ts';
import type { Trainer } from '../src/train/trainer.ts';
import { joinPeers } from '../src/peers/peer_rounds.node.ts';
import { parsePeersUrl } from '../src/peers/peers_url.node.ts';
import { PeerAveraging } from '../src/peers/redis_peers.node.ts';
import { redisServerInstalled, startRedisServer, type RedisServer } from './servers/redis_server.ts';

const config = (c: Partial<TrainConfig>): TrainConfig => ({
  ...DEFAULT_TRAIN_CONFIG,
  optimizer: 'sgd',
  lr: 0.01,
  ...c,
});
const diverged = (c: Partial<TrainConfig>) =>
  NonFiniteError.inTraining({ loss: null, parameters: 12, optimizerState: null }, config(c)).message;

test('the learning rate alone when nothing else scales the gradients', () => {
  const message = diverged({});
  assert.match(message, 'the parameters became non-finite (NaN or ±Inf) at step 12');
  assert.match(message, 'training diverged (sgd, lr 0.01). Try a smaller --lr.');
});

test('--beta above 1 is named as the likely cause, before the learning rate', () => {
  const message = diverged({ beta: 1e30 });
  assert.match(message, "--beta 1e+30 (the KL term's weight; 1 is the ELBO)");
  assert.match(message, 'Likely to blame: --beta; try it nearer the default first, then a smaller --lr.');
  assert.not.match(diverged({ beta: 0.5 }), '--beta', 'a β below 1 shrinks the gradients');
});

test('--weight-decay is named with lr·λ, and both when both are set', () => {
  assert.match(diverged({ weightDecay: 300 }), '--weight-decay 300 (adds λθ to every gradient; lr·λ = 3)');
  assert.match(diverged({ weightDecay: 300 }), 'Likely to blame: --weight-decay;');
  assert.match(diverged({ weightDecay: 300, beta: 4 }), 'Likely to blame: --beta and --weight-decay; try them');
});

test('the optimizer state alone: the same advice', () => {
  const message = NonFiniteError.inTraining(
    { loss: null, parameters: null, optimizerState: 5 },
    config({ weightDecay: 1e30 }),
  ).message;
  assert.match(message, 'the optimizer state was found non-finite');
  assert.match(message, 'Likely to blame: --weight-decay');
});

if (redisServerInstalled('the peers-average blame test')) {
  let server: RedisServer;
  test.before(async () => {
    server = await startRedisServer();
  });
  test.after(async () => {
    await server?.stop();
  });

  test("a peer's NaN parameters: the round's average is refused as the peers' fault, not a --lr problem", async () => {
    const P = 64;
    const url = `${server.url}/blame?size=2&rank=0&every=10&heartbeat=100&deadline=10000`;
    const mean = async (vectors: Float32Array[]) =>
      Float32Array.from({ length: P }, (_, i) => vectors.reduce((s, v) => s + v[i], 0) / vectors.length);
    const written: Float32Array[] = [];
    // Only what joinPeers touches of a Trainer: its step and its model's parameters.
    const trainer = {
      step: 10,
      model: {
        write: (p: Float32Array) => written.push(p),
        flatParameters: async () => new Float32Array(P).fill(0.5),
        averageOf: mean,
      },
    } as unknown as Trainer;
    const own = await joinPeers(url, trainer);
    const peer = new PeerAveraging(parsePeersUrl(url.replace('rank=0', 'rank=1')));
    await peer.join();
    const poisoned = new Float32Array(P).fill(1);
    poisoned[7] = NaN;
    const [ours] = await Promise.allSettled([own.rounds.run(10), peer.average(0, poisoned, mean)]);
    assert.is(ours.status, 'rejected');
    const error = (ours as PromiseRejectedResult).reason as NonFiniteError;
    assert.instance(error, NonFiniteError);
    assert.is(error.origin, 'peers');
    assert.match(error.message, "the peers' average of round 0 (ranks 0, 1) holds NaN at parameter 7, after step 10");
    assert.match(error.message, "The peers' average is to blame, not this run's settings");
    assert.not.match(error.message, '--lr');
    // A trainer that joins later is refused the same average before it is written into its parameters.
    const late = await joinPeers(url.replace('rank=0', 'rank=1'), trainer).then(
      () => null,
      (e: Error) => e,
    );
    assert.match(late?.message ?? 'joined', "the peers' average of round 0 holds NaN at parameter 7");
    assert.is(written.length, 0, 'nothing non-finite was written into the parameters');
    await own.leave();
    await peer.leave();
  });
}

test.run();
