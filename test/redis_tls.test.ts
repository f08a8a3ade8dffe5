// rediss:// with a real redis-server speaking TLS only, and certificates made by openssl for the suite: aevb
// publish and aevb train through TLS with the URL's tls-ca; a server that asks for client certificates refuses a
// client without one and takes one with tls-cert and tls-key; a CA that did not sign the server's certificate, and
// a missing client certificate, fail at once with a message naming the option to give (not after reconnect-for);
// an unreadable file is named with its option.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisServerInstalled, startRedisServer, type RedisServer } from './servers/redis_server.ts';
import { makeTestCertificates, opensslMissing, type TestCertificates } from './servers/test_certificates.ts';
import { npyBytes } from './npy_writer.ts';
import { seededUniform } from './seeded_random.ts';
import { runAevb } from './cli_process.ts';
import { RedisConnection } from '../src/data/redis/connection.node.ts';
import { parseRedisStreamUrl } from '../src/data/redis/url.ts';
import { parsePeersUrl } from '../src/peers/peers_url.node.ts';

let certificates: TestCertificates;
/** Clients need no certificate. */
let open: RedisServer | null = null;
/** Clients must show a certificate signed by the test CA. */
let mutual: RedisServer | null = null;

const aevb = (...args: string[]) => runAevb(args, 180_000);

function rowsFile(rows: number, seed: number): string {
  const file = join(mkdtempSync(join(tmpdir(), 'aevb-tls-data-')), 'rows.npy');
  writeFileSync(file, npyBytes('<f4', [rows, 16], seededUniform(seed, rows * 16)));
  return file;
}

/** The number of entries of a stream, asked through TLS with the client certificate (works on both servers). */
async function streamLength(server: RedisServer, stream: string): Promise<number> {
  const c = certificates;
  const url = `${server.url}/${stream}?tls-ca=${c.ca}&tls-cert=${c.clientCert}&tls-key=${c.clientKey}`;
  const connection = new RedisConnection(parseRedisStreamUrl(url), 'test');
  try {
    return Number(await connection.send('XLEN', stream));
  } finally {
    await connection.quit();
  }
}

test.before(async () => {
  if (!redisServerInstalled('redis_tls')) return;
  const missing = opensslMissing();
  if (missing !== null) throw new Error(missing);
  certificates = makeTestCertificates();
  const tls = { cert: certificates.serverCert, key: certificates.serverKey, ca: certificates.ca };
  open = await startRedisServer({ tls: { ...tls, authClients: false } });
  mutual = await startRedisServer({ tls: { ...tls, authClients: true } });
});
test.after(async () => {
  await open?.stop();
  await mutual?.stop();
});

test('aevb publish and aevb train through rediss:// with tls-ca: every row trained and acknowledged', async () => {
  if (open === null) return;
  const ca = `tls-ca=${certificates.ca}`;
  const published = await aevb('publish', '--data', rowsFile(300, 1), '--to', `${open.url}/rows?${ca}`);
  assert.is(published.code, 0, published.stderr);
  assert.match(published.stdout, /published 300 rows/);
  const out = mkdtempSync(join(tmpdir(), 'aevb-tls-train-'));
  const run = await aevb(
    ...['train', '--data', `${open.url}/rows?group=g&consumer=c&end-after-idle=1500&${ca}`],
    ...['--hidden', '8', '--latent', '2', '--batch', '20', '--shuffle-window', '100', '--no-binarize', '--out', out],
  );
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /epoch 1: 300 samples/);
  const c = certificates;
  const url = `${open.url}/rows?tls-ca=${c.ca}`;
  const connection = new RedisConnection(parseRedisStreamUrl(url), 'test');
  try {
    const [pending] = (await connection.send('XPENDING', 'rows', 'g')) as [number];
    assert.is(pending, 0, 'every entry acknowledged');
  } finally {
    await connection.quit();
  }
});

test('a server that asks for client certificates refuses a client without one, at once and saying which options to give; tls-cert and tls-key get in', async () => {
  if (mutual === null) return;
  const c = certificates;
  const file = rowsFile(50, 2);
  const started = performance.now();
  const refused = await aevb('publish', '--data', file, '--to', `${mutual.url}/rows?tls-ca=${c.ca}`);
  const seconds = (performance.now() - started) / 1000;
  assert.is.not(refused.code, 0);
  assert.match(refused.stderr, /tls-cert=FILE and tls-key=FILE/);
  assert.ok(seconds < 20, `refused after ${seconds.toFixed(1)} s: it should not wait out reconnect-for (60 s)`);
  assert.is(await streamLength(mutual, 'rows'), 0, 'nothing published without the certificate');
  const withCert = `${mutual.url}/rows?tls-ca=${c.ca}&tls-cert=${c.clientCert}&tls-key=${c.clientKey}`;
  const published = await aevb('publish', '--data', file, '--to', withCert, '--pack-rows', '10');
  assert.is(published.code, 0, published.stderr);
  assert.is(await streamLength(mutual, 'rows'), 5);
});

test("a CA that did not sign the server's certificate fails at once, naming tls-ca; so does the system's CAs alone", async () => {
  if (open === null) return;
  for (const query of [`?tls-ca=${certificates.otherCa}`, '']) {
    const started = performance.now();
    const refused = await aevb('publish', '--data', rowsFile(20, 3), '--to', `${open.url}/rows${query}`);
    const seconds = (performance.now() - started) / 1000;
    assert.is.not(refused.code, 0, query);
    assert.match(refused.stderr, /certificate is not trusted: give the CA that signed it with the URL's tls-ca=FILE/);
    assert.not.match(refused.stderr, /retrying for up to/, 'a refused certificate is not waited out as an outage');
    assert.ok(seconds < 20, `refused after ${seconds.toFixed(1)} s`);
  }
});

test('an unreadable TLS file is an error naming the option and the path', async () => {
  if (open === null) return;
  const missing = join(certificates.dir, 'no-such-ca.pem');
  const refused = await aevb('publish', '--data', rowsFile(20, 4), '--to', `${open.url}/rows?tls-ca=${missing}`);
  assert.is.not(refused.code, 0);
  assert.match(refused.stderr, `tls-ca=${missing}: cannot read it (ENOENT); expected a PEM file`);
});

test('TLS options are refused on redis:// and a client certificate without its key (stream and peers URLs alike)', () => {
  assert.throws(
    () => parseRedisStreamUrl('redis://h:1/s?tls-ca=/ca.pem'),
    /tls-ca needs a TLS connection: write rediss:\/\//,
  );
  assert.throws(
    () => parseRedisStreamUrl('rediss://h:1/s?tls-cert=/c.pem'),
    /needs both tls-cert \(the certificate\) and tls-key \(its private key\); only tls-cert is given/,
  );
  assert.equal(parseRedisStreamUrl('rediss://:pw@h:1/s?tls-ca=/ca.pem').tls, { ca: '/ca.pem' });
  const peers = parsePeersUrl('rediss://h:1/run?size=2&rank=0&every=5&tls-ca=/ca.pem&tls-cert=/c&tls-key=/k', {
    rank: undefined,
    jobCompletionIndex: undefined,
    worldSize: undefined,
  });
  assert.equal(peers.tls, { ca: '/ca.pem', cert: '/c', key: '/k' });
  assert.throws(
    () =>
      parsePeersUrl('redis://h:1/run?size=2&rank=0&every=5&tls-key=/k', {
        rank: undefined,
        jobCompletionIndex: undefined,
        worldSize: undefined,
      }),
    /tls-key needs a TLS connection/,
  );
});

test.run();
