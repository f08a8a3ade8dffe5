// Node-only: `aevb publish` — feeds a Redis stream from any file or shard directory aevb reads, a packed block
// of rows per entry, pipelined, with a progress line; trainers read it with --data redis://…?group=…&consumer=….
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { fileSource } from '../data/file_source.node.ts';
import { publishRows } from '../data/redis_publish.node.ts';
import { parseRedisStreamUrl } from '../data/redis_url.ts';
import { DATA_FORMATS } from '../data/row_format.ts';
import { integer } from './flag_parsers.node.ts';

export function publishCommand(): Command {
  return new Command('publish')
    .description('Publish the rows of a file or shard directory to a Redis stream (one entry per --pack-rows rows).')
    .requiredOption('--data <path>', 'a file (IDX, .npy, raw rows, optionally .gz) or a directory of shards')
    .requiredOption('--to <url>', 'the stream: redis://host:port/STREAM (rediss:// for TLS)')
    .addOption(new Option('--format <format>', 'format of --data (auto: from the file name)').choices(DATA_FORMATS).default('auto'))
    .option('--dim <D>', 'values per row, for raw rows', integer('--dim', 1))
    .option('--pack-rows <n>', 'rows per stream entry (a minibatch per entry suits a trainer)', integer('--pack-rows', 1), 100)
    .option('--rows <n>', 'stop after this many rows', integer('--rows', 1))
    .action(async (o) => {
      parseRedisStreamUrl(o.to); // a bad URL is refused before any file is read
      const source = fileSource(o.data, { format: o.format, dim: o.dim });
      const bar = new cliProgress.SingleBar({
        format: 'published {value} rows | {entries} entries | {speed} rows/s',
        noTTYOutput: !process.stderr.isTTY,
        notTTYSchedule: 15_000,
      }, cliProgress.Presets.shades_classic);
      bar.start(0, 0, { entries: 0, speed: '-' });
      try {
        const result = await publishRows(source, o.to, {
          packRows: o.packRows,
          maxRows: o.rows,
          onProgress: (p) => bar.update(p.rows, { entries: p.entries, speed: (p.rows / Math.max(p.seconds, 1e-9)).toFixed(0) }),
        });
        bar.stop();
        console.log(`published ${result.rows} rows of ${source.name} in ${result.entries} entries to ${o.to} in ${result.seconds.toFixed(2)} s (${(result.rows / result.seconds).toFixed(0)} rows/s)`);
      } finally {
        bar.stop();
      }
    });
}
