// Test helper: throw-away TLS certificates made with the `openssl` CLI (.ci/setup installs it) in a directory of
// their own: a CA, a server certificate it signed for 127.0.0.1 and localhost, a client certificate it signed, and
// a second CA that signed nothing here (a client that trusts only it must refuse the server).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Paths of the PEM files. */
export interface TestCertificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed neither certificate. */
  otherCa: string;
}

/** Whether openssl can be run; when not, says why the suite fails (TLS tests must not pass by skipping). */
export function opensslMissing(): string | null {
  const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return probe.error === undefined && probe.status === 0
    ? null
    : 'openssl is not installed: the TLS tests make their certificates with it (apt-get install -y openssl; .ci/setup does)';
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes the certificates (valid for 2 days) in a new temporary directory. */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'aevb-tls-'));
  const selfSigned = (name: string, subject: string) =>
    openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', subject, ...pair(name));
  const pair = (name: string) => ['-keyout', `${name}.key`, '-out', `${name}.crt`];
  const signed = (name: string, subject: string, extensions: string | null) => {
    openssl(
      dir,
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      subject,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    if (extensions !== null) writeFileSync(join(dir, `${name}.ext`), `${extensions}\n`);
    openssl(
      dir,
      ...['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'],
      ...['-days', '2', '-out', `${name}.crt`],
      ...(extensions === null ? [] : ['-extfile', `${name}.ext`]),
    );
  };
  selfSigned('ca', '/CN=aevb test CA');
  selfSigned('other-ca', '/CN=aevb unrelated CA');
  // Node checks the host name against the subjectAltName: the tests connect to 127.0.0.1.
  signed('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  signed('client', '/CN=aevb test client', null);
  const at = (file: string) => join(dir, file);
  return {
    dir,
    ca: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    otherCa: at('other-ca.crt'),
  };
}
