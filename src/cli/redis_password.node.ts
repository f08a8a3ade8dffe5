// Node-only: the password of the Redis URLs a command is given, from outside the URLs — `--redis-password-file`
// or the environment's REDIS_PASSWORD (src/gpu/settings.node.ts reads it) — so that it need not be typed into a
// URL that shells, process lists and logs keep. A password inside a URL still works; aevb never prints or writes
// it (redactUrl), and a run resumed from its checkpoint takes the password from here. REDIS_URL, as Heroku, node-redis
// and many PaaS set it, is the server (and its user and password) of a URL that names none: redis:///STREAM.
import { readFileSync } from 'node:fs';
import { withServer } from '../data/redis/url.ts';
import { readEnvironmentSettings } from '../gpu/settings.node.ts';

/** Whether a URL carries a password (`scheme://user:PASSWORD@host`). */
function hasPassword(url: string | null): boolean {
  if (url === null || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return false;
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

/**
 * The password for Redis URLs that carry none: the file's first line (--redis-password-file), else REDIS_PASSWORD,
 * else undefined. A file given beside a URL with a password is refused: one password, given once.
 */
export function redisPassword(file: string | null | undefined, urls: (string | null)[]): string | undefined {
  if (file !== null && file !== undefined) {
    if (urls.some(hasPassword))
      throw new Error('--redis-password-file: a URL holds a password too; give it once (drop it from the URL)');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(
        `--redis-password-file ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    const password = text.split(/\r?\n/)[0];
    if (password === '')
      throw new Error(`--redis-password-file ${file}: the first line is empty; expected the password`);
    return password;
  }
  return readEnvironmentSettings().redisPassword;
}

/** `url` with `password` put in when it has none (for code that takes only a URL: the peers' rendezvous). */
export function withPassword(url: string, password: string | undefined): string {
  if (password === undefined || hasPassword(url) || !/^rediss?:\/\//.test(url)) return url;
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

/**
 * `url` with REDIS_URL's server put in when it names none (`redis:///STREAM?…`; withServer in src/data/redis/url.ts
 * says what is taken), else as it is; null stays null. Call it before redisPassword, which then sees REDIS_URL's
 * password as the URL's own.
 */
export function withRedisServer<T extends string | null>(url: T): T {
  return (url === null ? null : withServer(url, readEnvironmentSettings().redisUrl)) as T;
}
