// Node-only: the TLS side of a `rediss://` connection — the files the URL names (tls-ca, tls-cert, tls-key), read
// once per parsed URL and shared by all its connections (a source's probe, reader and commands), and what a failed
// handshake means. A handshake that fails on a certificate fails the same way on every retry, so it is not waited
// out like an outage: the connection gives up at once and says which option to give.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { TLS_PARAMETERS, type RedisTlsFiles } from './url.ts';

/** The files of each parsed URL, read at its first connection: a certificate is read once, not per connection. */
const read = new WeakMap<RedisTlsFiles, ConnectionOptions>();

/**
 * The TLS options of a connection to a `rediss://` server: the CA, the client certificate and its key as read from
 * their files (an unreadable one is an error naming its option and path); `{}` (the system's CAs) without files.
 */
export function tlsOptionsOf(files: RedisTlsFiles | undefined): ConnectionOptions {
  if (files === undefined) return {};
  let options = read.get(files);
  if (options === undefined) {
    options = {};
    for (const field of ['ca', 'cert', 'key'] as const) {
      const path = files[field];
      if (path === undefined) continue;
      try {
        options[field] = readFileSync(path);
      } catch (error) {
        const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        throw new Error(`${TLS_PARAMETERS[field]}=${path}: cannot read it (${why}); expected a PEM file`);
      }
    }
    read.set(files, options);
  }
  return options;
}

/** Node's codes for a server certificate that its verification refused (node:tls, OpenSSL's X509_V_ERR_*). */
const UNTRUSTED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * What a connection error means when it is a TLS handshake that will fail again however often it is retried —
 * the server's certificate is not trusted, or the server refused this client's — as the advice to print; null for
 * any other error (a refused or lost connection: an outage, waited out).
 */
export function tlsRefusal(error: Error | null): string | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === undefined) return null;
  if (UNTRUSTED.has(code))
    return (
      "the server's TLS certificate is not trusted: give the CA that signed it with the URL's tls-ca=FILE " +
      '(PEM), or check that the host name is one the certificate names'
    );
  if (/^ERR_SSL_(TLSV13_ALERT_CERTIFICATE_REQUIRED|SSLV3_ALERT_|TLSV1_ALERT_(UNKNOWN_CA|ACCESS_DENIED))/.test(code))
    return (
      "the server refused this client's TLS handshake: it asks for a client certificate signed by a CA it trusts; " +
      "give one with the URL's tls-cert=FILE and tls-key=FILE"
    );
  if (code.startsWith('ERR_SSL_')) return 'the TLS handshake failed: is the server speaking TLS on this port?';
  return null;
}
