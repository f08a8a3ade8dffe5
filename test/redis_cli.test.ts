// aevb end to end on a Redis stream (a real redis-server): `aevb publish` feeds a stream, `aevb train --data
// redis://…` trains from it and acknowledges what its checkpoints hold, a malformed entry is dead-lettered and
// reported (stderr, metrics.jsonl), and a second trainer run with `--peers` beside it averages its parameters with
// the first every H steps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redisServerInstalled, startRedisServer, type RedisServer } from './servers/redis_server.ts';
import { readCheckpoint } from '../src/io/checkpoint.node.ts';
import { npyBytes } from './npy_writer.ts';
import { seededUniform } from './seeded_random.ts';
import { AEVB_BIN, runAevb } from './cli_process.ts';

const bin = AEVB_BIN;
let server: RedisServer | null = null;

const aevb = (...args: string[]) => runAevb(args, 180_000);

test.before(async () => {
  if (redisServerInstalled('redis_cli')) server = await startRedisServer();
});
test.after(async () => {
  await server?.stop();
});

test('aevb publish, then aevb train --data redis://…: trains the stream, acknowledges what its checkpoint holds', async () => {
  if (server === null) return;
  const file = join(mkdtempSync(join(tmpdir(), 'aevb-redis-data-')), 'rows.npy');
  writeFileSync(file, npyBytes('<f4', [600, 16], seededUniform(7, 600 * 16)));
  const published = await aevb('publish', '--data', file, '--to', `${server.url}/rows`, '--pack-rows', '20');
  assert.is(published.code, 0, published.stderr);
  const out = mkdtempSync(join(tmpdir(), 'aevb-redis-train-'));
  const url = `${server.url}/rows?group=trainers&consumer=t1&end-after-idle=1500`;
  const run = await aevb(
    'train',
    '--data',
    url,
    '--hidden',
    '8',
    '--latent',
    '2',
    '--batch',
    '20',
    '--shuffle-window',
    '100',
    '--no-binarize',
    '--out',
    out,
  );
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /epoch 1: 600 samples/);
  const state = readCheckpoint(out).run!;
  assert.is(state.acknowledged!.rowsConsumed, 600, 'every row trained by the final checkpoint');
  const redis = new Redis(server.url);
  try {
    const [count] = (await redis.xpending('rows', 'trainers')) as [number];
    assert.is(count, 0, 'nothing left pending');
  } finally {
    redis.disconnect();
  }
});

test('a malformed entry is dead-lettered (max-deliveries=1) and reported on stderr and in metrics.jsonl; the rows around it are all trained', async () => {
  if (server === null) return;
  const file = join(mkdtempSync(join(tmpdir(), 'aevb-redis-data-')), 'rows.npy');
  writeFileSync(file, npyBytes('<f4', [200, 16], seededUniform(8, 200 * 16)));
  const url = `${server.url}/with-bad`;
  assert.is((await aevb('publish', '--data', file, '--to', url, '--pack-rows', '20')).code, 0);
  const redis = new Redis(server.url);
  let badId = '';
  try {
    badId = String(await redis.call('XADD', 'with-bad', '*', 'd', '16', 't', 'u8', 'x', Buffer.alloc(17)));
  } finally {
    redis.disconnect();
  }
  assert.is((await aevb('publish', '--data', file, '--to', url, '--pack-rows', '20')).code, 0);
  const out = mkdtempSync(join(tmpdir(), 'aevb-redis-train-'));
  const run = await aevb(
    'train',
    '--data',
    `${url}?group=g&consumer=c&end-after-idle=1500&max-deliveries=1`,
    '--hidden',
    '8',
    '--latent',
    '2',
    '--batch',
    '20',
    '--shuffle-window',
    '100',
    '--no-binarize',
    '--out',
    out,
  );
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /epoch 1: 400 samples/);
  assert.match(run.stderr, `${url}: entry ${badId} moved to {with-bad}:dead`);
  assert.match(run.stderr, `re-drive with: aevb publish --from ${server.url}/{with-bad}:dead --to ${url}`);
  const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.type === 'dead-lettered');
  assert.equal(
    records.map((r) => [r.id, r.dead_stream, r.failures]),
    [[badId, '{with-bad}:dead', 1]],
  );
  assert.match(records[0].error, 'holds 17 bytes');
});

test('two trainers with --peers average their parameters every H steps and end with the same ones', async () => {
  if (server === null) return;
  const outs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'aevb-peers-')));
  const trainer = (rank: number) =>
    aevb(
      'train',
      '--data',
      'synthetic:400x16',
      '--seed',
      String(rank + 1),
      '--hidden',
      '8',
      '--latent',
      '2',
      '--batch',
      '20',
      '--samples',
      '400',
      '--peers',
      `${server!.url}/avg-run?size=2&rank=${rank}&every=5&deadline=30000`,
      '--out',
      outs[rank],
    );
  const runs = await Promise.all([trainer(0), trainer(1)]);
  for (const r of runs) assert.is(r.code, 0, r.stderr);
  const rounds = outs.map((out) =>
    readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.type === 'averaging'),
  );
  assert.equal(
    rounds[0].map((r) => [r.round, r.final ?? false]),
    [
      [0, false],
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ],
  );
  // A trainer that starts later joins from the next round on; the last rounds have both.
  assert.equal(rounds[0].at(-1).members, [0, 1], JSON.stringify(rounds[0]));
  assert.equal(rounds[1].at(-1).members, [0, 1]);
  // Step 20 ends in a round: both trainers hold the same averaged parameters (their optimizer states differ).
  const params = outs.map((out) =>
    readCheckpoint(out).snapshot.tensors.filter((t) => !t.name.startsWith('optimizer.')),
  );
  for (let i = 0; i < params[0].length; i++)
    assert.equal(Array.from(params[0][i].data), Array.from(params[1][i].data), params[0][i].name);
  assert.ok(existsSync(join(outs[0], 'checkpoint.safetensors')));
});

/** The model's tensors of a checkpoint (the optimizer's state is each trainer's own). */
const parametersOf = (out: string) =>
  readCheckpoint(out).snapshot.tensors.filter((t) => !t.name.startsWith('optimizer.'));

test('two ranks stopping at different steps (20 and 25, every 3) end with bit-identical parameters: the final round is the result', async () => {
  if (server === null) return;
  const outs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'aevb-peers-final-')));
  const trainer = (rank: number) =>
    aevb(
      'train',
      '--data',
      'synthetic:400x16',
      '--seed',
      String(rank + 1),
      '--hidden',
      '8',
      '--latent',
      '2',
      '--batch',
      '20',
      '--samples',
      String(400 + 100 * rank),
      '--peers',
      `${server!.url}/final-run?size=2&rank=${rank}&every=3&deadline=30000`,
      '--out',
      outs[rank],
    );
  const runs = await Promise.all([trainer(0), trainer(1)]);
  for (const r of runs) assert.is(r.code, 0, r.stderr);
  for (const r of runs)
    assert.match(
      r.stdout,
      /peers: final round of final-run: the average of ranks 0, 1 \(finished at steps 20, 25\) is the run's result, the same bits on every rank; this run's last checkpoint holds it/,
    );
  const params = outs.map(parametersOf);
  for (let i = 0; i < params[0].length; i++)
    assert.ok(Buffer.from(params[0][i].data.buffer).equals(Buffer.from(params[1][i].data.buffer)), params[0][i].name);
  assert.equal(
    outs.map((out) => readCheckpoint(out).snapshot.step),
    [20, 25],
    'each checkpoint keeps its own step',
  );
});

test("a rank killed mid-run slows the other's rounds by one heartbeat timeout at most, once", async () => {
  if (server === null) return;
  const outs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'aevb-peers-kill-')));
  // heartbeat 50 ms: a rank silent for 0.15 s is gone. deadline 0.5 s: before membership by heartbeat, a dead rank
  // was waited for the whole deadline in every round from 10 deadlines (5 s) after its death on; rank 0 trains well
  // past that on any machine this runs on (a 1 s deadline needed more than 11 s of training, which a fast box missed).
  const args = (rank: number) => [
    bin,
    'train',
    '--data',
    'synthetic:2000x16',
    '--seed',
    '1',
    '--hidden',
    '8',
    '--latent',
    '2',
    '--batch',
    '20',
    '--samples',
    '100000',
    '--metrics-every',
    '1000',
    '--peers',
    `${server!.url}/kill-run?size=2&rank=${rank}&every=5&deadline=500&heartbeat=50`,
    '--out',
    outs[rank],
  ];
  const survivor = aevb(...args(0).slice(1));
  const victim = spawn(process.execPath, args(1), { stdio: 'ignore' });
  // Killed once both have averaged for a while.
  const roundsOf = (out: string) =>
    existsSync(join(out, 'metrics.jsonl'))
      ? readFileSync(join(out, 'metrics.jsonl'), 'utf8')
          .split('\n')
          .slice(0, -1)
          .map((l) => JSON.parse(l))
          .filter((r) => r.type === 'averaging')
      : [];
  while (roundsOf(outs[1]).length < 20) await new Promise((r) => setTimeout(r, 50));
  victim.kill('SIGKILL');
  const killedAt = Date.now();
  const run = await survivor;
  assert.is(run.code, 0, run.stderr);
  const rounds = roundsOf(outs[0]);
  const alone = rounds.filter((r) => !r.final && r.members.length === 1);
  const lastAlone = Date.parse(alone.at(-1).time);
  assert.ok(
    lastAlone - killedAt > 6_000,
    `rank 0 trained on for ${(lastAlone - killedAt) / 1000} s after the kill (more than 10 deadlines)`,
  );
  const seconds = alone.map((r) => r.seconds as number);
  assert.ok(
    seconds[0] < 0.5,
    `the first round without rank 1 waited ${seconds[0]} s (heartbeat timeout 0.15 s, deadline 0.5 s)`,
  );
  const long = alone.filter((r) => r.seconds >= 0.45);
  assert.equal(long, [], 'no round waited out the deadline for the dead rank');
  const median = [...seconds].sort((a, b) => a - b)[seconds.length >> 1];
  assert.ok(median < 0.05, `a round alone takes ${median} s (median of ${seconds.length})`);
  assert.equal(rounds.at(-1).members, [0], 'the final round is rank 0 alone');
});

test.run();
