// Node-only: `aevb publish` — feeds a Redis stream from any file or shard directory aevb reads, a packed block
// of rows per entry, pipelined, with a progress line; trainers read it with --data redis://…?group=…&consumer=….
// With --from, it re-drives a dead-letter stream instead: the entries a consumer gave up on, back into the stream.
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { fileSource } from '../data/file_source.node.ts';
import { publishRows, redriveEntries } from '../data/redis/publish.node.ts';
import { describeStream, parseRedisStreamUrl, redactUrl } from '../data/redis/url.ts';
import { redisPassword, withRedisServer } from './redis_password.node.ts';
import { DATA_FORMATS } from '../data/row_format.ts';
import { integer } from './flag_parsers.node.ts';

export function publishCommand(): Command {
  return new Command('publish')
    .description(
      'Publish the rows of a file or shard directory to a Redis stream (one entry per --pack-rows rows), or re-drive a dead-letter stream (--from).',
    )
    .option('--data <path>', 'a file (IDX, .npy, raw rows, optionally .gz) or a directory of shards')
    .option(
      '--from <url>',
      'instead of --data: move the entries of a dead-letter stream redis://host:port/STREAM:dead back to --to (re-drive)',
    )
    .requiredOption(
      '--to <url>',
      "the stream: redis://host:port/STREAM (redis:///STREAM: the server of $REDIS_URL); rediss:// for TLS, with ?tls-ca=FILE (the CA of the server's certificate; " +
        "default: the system's) and tls-cert=FILE&tls-key=FILE (a client certificate, for a server that asks for one)",
    )
    .addOption(
      new Option('--format <format>', 'format of --data (auto: from the file name)')
        .choices(DATA_FORMATS)
        .default('auto'),
    )
    .option('--dim <D>', 'values per row, for raw rows', integer('--dim', 1))
    .option(
      '--pack-rows <n>',
      'rows per stream entry (a minibatch per entry suits a trainer)',
      integer('--pack-rows', 1),
      100,
    )
    .option('--rows <n>', 'stop after this many rows', integer('--rows', 1))
    .option(
      '--redis-password-file <path>',
      "the password of redis:// URLs that carry none, on the file's first line (default: $REDIS_PASSWORD); never printed or written",
    )
    .action(async (o) => {
      if ((o.data === undefined) === (o.from === undefined))
        throw new Error(
          'publish: give --data (rows from a file) or --from (a dead-letter stream to re-drive), one of them',
        );
      // redis:///STREAM: the server is REDIS_URL's (and so may be its password).
      const [toUrl, fromUrl] = [withRedisServer(o.to as string), withRedisServer((o.from as string) ?? null)];
      const password = redisPassword(o.redisPasswordFile, [toUrl, fromUrl]);
      const to = parseRedisStreamUrl(toUrl, password); // a bad URL is refused before any file is read
      const shownTo = `${describeStream(to)}${to.db !== 0 ? ` (db ${to.db})` : ''}`;
      if (fromUrl !== null) {
        const moved = await redriveEntries(fromUrl, toUrl, { password });
        console.log(`re-drove ${moved} ${moved === 1 ? 'entry' : 'entries'} from ${redactUrl(fromUrl)} to ${shownTo}`);
        return;
      }
      const source = fileSource(o.data, { format: o.format, dim: o.dim });
      const bar = new cliProgress.SingleBar(
        {
          format: 'publishing: {value} rows | {entries} entries | {speed} rows/s',
          noTTYOutput: !process.stderr.isTTY,
          notTTYSchedule: 15_000,
        },
        cliProgress.Presets.shades_classic,
      );
      // The bar starts with the first rows written: a publish that fails before (Redis unreachable, a bad file)
      // prints no count, and the count 'published …' is printed once, on success.
      let started = false;
      try {
        const result = await publishRows(source, toUrl, {
          packRows: o.packRows,
          maxRows: o.rows,
          password,
          onProgress: (p) => {
            const values = { entries: p.entries, speed: (p.rows / Math.max(p.seconds, 1e-9)).toFixed(0) };
            if (!started) bar.start(0, p.rows, values);
            else bar.update(p.rows, values);
            started = true;
          },
        });
        bar.stop();
        console.log(
          `published ${result.rows} rows of ${source.name} in ${result.entries} entries to ${shownTo} ` +
            `in ${result.seconds.toFixed(2)} s (${(result.rows / result.seconds).toFixed(0)} rows/s)`,
        );
      } finally {
        if (started) bar.stop();
      }
    });
}
