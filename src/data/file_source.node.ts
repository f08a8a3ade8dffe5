// Node-only: row sources on disk — one file (IDX, .npy, raw rows; .gz for any of them) or a directory of
// shards read one after the other. Files are streamed in 1 MiB chunks, never read whole.
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { rowParserFor, type DataFormat } from './row_format.ts';
import { parsedSource, shardedSource, type RowSource } from './row_source.ts';


const CHUNK_BYTES = 1 << 20;

/** The bytes of a file, gunzipped if its name ends in .gz; the stream is destroyed if the pass ends early. */
export async function* fileBytes(path: string): AsyncGenerator<Uint8Array> {
  const raw = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  const stream = path.endsWith('.gz') ? raw.pipe(createGunzip({ chunkSize: CHUNK_BYTES })) : raw;
  raw.on('error', (e) => stream.destroy(e));
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new Error(`${path}: ${e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR' ? 'expected gzip-compressed data (the name ends in .gz)' : 'cannot read'}: ${e.message}`);
  } finally {
    stream.destroy();
    raw.destroy();
  }
}

/** A file or a directory of shards as a row source. Throws at once for a missing path or an empty directory. */
export function fileSource(path: string, options: { format?: DataFormat; dim?: number } = {}): RowSource {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw new Error(`${path}: cannot read the data (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const format = options.format ?? 'auto';
  if (!stats.isDirectory()) return parsedSource(path, () => fileBytes(path), rowParserFor(path, format, options.dim));
  const shards = readdirSync(path).filter((f) => !f.startsWith('.')).sort().map((f) => join(path, f)).filter((f) => statSync(f).isFile());
  if (shards.length === 0) throw new Error(`${path}: the shard directory holds no files`);
  const sources = shards.map((shard) => parsedSource(shard, () => fileBytes(shard), rowParserFor(shard, format, options.dim)));
  return shardedSource(path, sources);
}
