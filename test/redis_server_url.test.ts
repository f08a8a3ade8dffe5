// REDIS_URL, as Heroku, node-redis and many PaaS set it: the server (scheme, user, password, host, port, /db) of a
// Redis URL that names none, redis:///STREAM. Pure cases of withServer, and `aevb publish --to redis:///rows` against
// a real redis-server with a password given only in REDIS_URL: it publishes into REDIS_URL's database and never
// prints the password; without REDIS_URL the same command says what to set.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redisServerInstalled, startRedisServer, type RedisServer } from './servers/redis_server.ts';
import { npyBytes } from './npy_writer.ts';
import { seededUniform } from './seeded_random.ts';
import { AEVB_BIN } from './cli_process.ts';
import { parseRedisStreamUrl, withServer } from '../src/data/redis/url.ts';
import { parsePeersUrl } from '../src/peers/peers_url.node.ts';

const SECRET = 'pa55-in-REDIS_URL';
let server: RedisServer | null = null;

function aevb(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [AEVB_BIN, ...args],
      { timeout: 60_000, env: { ...process.env, REDIS_PASSWORD: '', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test.before(async () => {
  if (redisServerInstalled('redis_server_url')) server = await startRedisServer({ password: SECRET });
});
test.after(async () => {
  await server?.stop();
});

test('withServer: a URL that names no server takes REDIS_URL’s scheme, user, password, host, port and /db', () => {
  const q = '?group=g&consumer=c';
  assert.is(withServer(`redis:///rows${q}`, 'redis://:pw@cache:6380/2'), `redis://:pw@cache:6380/rows${q}&db=2`);
  assert.is(withServer('redis:///rows', 'rediss://u:pw@cache:6380'), 'rediss://u:pw@cache:6380/rows');
  assert.is(withServer('rediss:///rows?db=5', 'redis://cache/2'), 'rediss://cache/rows?db=5', 'its own db and TLS win');
  assert.is(withServer('redis://here:1/rows', 'redis://cache:2'), 'redis://here:1/rows', 'a URL with a host is kept');
  assert.is(withServer('/data/rows.npy', undefined), '/data/rows.npy', 'not a Redis URL: kept');
  assert.throws(() => withServer('redis:///rows', undefined), /redis:\/\/\/rows: names no server: set REDIS_URL=/);
  assert.throws(() => withServer('redis:///rows', 'http://:pw@cache'), /^REDIS_URL=http:\/\/cache: expected redis:/);
  assert.throws(
    () => withServer('redis:///rows', 'redis://:pw@cache/x'),
    /REDIS_URL=redis:\/\/cache\/x: the path must be a database number/,
  );
  assert.throws(() => withServer('redis:///rows', 'redis://cache?db=1'), /give parameters in the stream's URL/);
  // Unresolved, the parsers refuse it rather than guess a server.
  assert.throws(() => parseRedisStreamUrl('redis:///rows'), /names no server: expected redis:\/\/host:port\/STREAM/);
  const env = { rank: undefined, jobCompletionIndex: undefined, worldSize: undefined };
  assert.throws(() => parsePeersUrl('redis:///run?size=1&rank=0&every=1', env), /names no server/);
});

test('aevb publish --to redis:///rows with REDIS_URL: publishes into its server and database, never prints the password', async () => {
  if (server === null) return;
  const file = join(mkdtempSync(join(tmpdir(), 'aevb-redis-url-')), 'rows.npy');
  writeFileSync(file, npyBytes('<f4', [40, 4], seededUniform(3, 160)));
  const env = { REDIS_URL: `redis://:${SECRET}@127.0.0.1:${server.port}/3` };
  const run = await aevb(['publish', '--data', file, '--to', 'redis:///rows', '--pack-rows', '10'], env);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, `rows.npy in 4 entries to redis://127.0.0.1:${server.port}/rows (db 3)`);
  assert.not.ok(`${run.stdout}${run.stderr}`.includes(SECRET), 'the password was printed');
  const redis = new Redis({ host: '127.0.0.1', port: server.port, password: SECRET, db: 3 });
  try {
    assert.is(await redis.xlen('rows'), 4);
  } finally {
    redis.disconnect();
  }
  // aevb train reads the same stream through REDIS_URL; its outputs keep the URL as written, without a password.
  const out = mkdtempSync(join(tmpdir(), 'aevb-redis-url-run-'));
  const stream = 'redis:///rows?group=g&consumer=c&end-after-idle=500';
  const trained = await aevb(
    ['train', '--data', stream, '--hidden', '4', '--latent', '2', '--batch', '10', '--epochs', '1', '--out', out],
    env,
  );
  assert.is(trained.code, 0, trained.stderr);
  assert.match(trained.stdout, 'checkpoint at step 4');
  assert.is(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).data, stream);
  for (const name of readdirSync(out))
    assert.not.ok(readFileSync(join(out, name)).includes(SECRET), `${name} holds the password`);
  assert.not.ok(`${trained.stdout}${trained.stderr}`.includes(SECRET), 'the password was printed');
  const without = await aevb(['publish', '--data', file, '--to', 'redis:///rows'], { REDIS_URL: '' });
  assert.is.not(without.code, 0);
  assert.match(without.stderr, 'redis:///rows: names no server: set REDIS_URL=redis://host:port[/db]');
});

test.run();
