// Node-only: row sources on disk — one file (IDX, .npy, raw rows; .gz for any of them) or a directory of
// shards read one after the other. Files are streamed in 1 MiB chunks, never read whole; gunzipping is
// streamed too, so a gzip bomb costs time, not memory. Only regular files are read: a FIFO or a device cannot
// be read again for the next epoch (and a FIFO would block), so both are refused up front.
import { closeSync, createReadStream, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { DataFormatError } from './data_format_error.ts';
import { rowParserFor, type DataFormat } from './row_format.ts';
import { shardsOf } from './http_shards.ts';
import { parsedSource, shardedSource, type RowSource } from './row_source.ts';
import type { RowBlock } from './row_block.ts';

const CHUNK_BYTES = 1 << 20;

/** The bytes of a file, gunzipped if its name ends in .gz; the stream is destroyed if the pass ends early. */
export async function* fileBytes(path: string): AsyncGenerator<Uint8Array> {
  const size = regularFileStats(path).size;
  if (!path.endsWith('.gz')) {
    const raw = createReadStream(path, { highWaterMark: CHUNK_BYTES });
    try {
      for await (const chunk of raw) yield chunk as Uint8Array;
    } catch (error) {
      throw cannotRead(path, error);
    } finally {
      raw.destroy();
    }
    return;
  }
  checkGzipMagic(path, size);
  const raw = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
  let fed = 0;
  raw.on('data', (chunk) => (fed += chunk.length));
  raw.on('error', (e) => gunzip.destroy(e));
  raw.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Uint8Array;
  } catch (error) {
    throw gzipError(path, error as NodeJS.ErrnoException, { size, consumed: gunzip.bytesWritten, fed });
  } finally {
    gunzip.destroy();
    raw.destroy();
  }
}

/** Says which of "not gzip", "truncated" or "corrupt" a gunzip failure is, with the compressed offset. */
function gzipError(path: string, e: NodeJS.ErrnoException, at: { size: number; consumed: number; fed: number }): Error {
  if (e.code === 'Z_BUF_ERROR') {
    return new DataFormatError(
      path,
      at.size,
      `the gzip stream is truncated: the compressed data ends here, before the stream's end (an incomplete download or copy?)`,
    );
  }
  if (e.code === 'Z_DATA_ERROR') {
    // The first member's magic was checked before reading, so a bad header here is one after a whole member.
    if (e.message === 'incorrect header check') {
      return new DataFormatError(
        path,
        at.consumed,
        `at or after this compressed byte, after a complete gzip member: expected another member ` +
          `or the end of the file, found other bytes (trailing garbage after the gzip data?)`,
      );
    }
    return new DataFormatError(
      path,
      at.consumed,
      `corrupt gzip data (${e.message}) between this compressed byte and byte ${at.fed}`,
    );
  }
  return cannotRead(path, e);
}

function checkGzipMagic(path: string, size: number): void {
  const head = new Uint8Array(2);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  if (size < 2 || head[0] !== 0x1f || head[1] !== 0x8b) {
    const found =
      size < 2
        ? `a ${size}-byte file`
        : `0x${head[0].toString(16).padStart(2, '0')} 0x${head[1].toString(16).padStart(2, '0')}`;
    throw new DataFormatError(
      path,
      0,
      `not gzip: expected gzip-compressed data (the name ends in .gz) starting 0x1f 0x8b, found ${found} (if it is not compressed, drop the .gz from its name)`,
    );
  }
}

function cannotRead(path: string, error: unknown): Error {
  const e = error as NodeJS.ErrnoException;
  return new Error(`${path}: cannot read the data (${e.code ?? e.message})`, { cause: error });
}

/** The stats of `path`, which must exist and be a regular file (or, with `directories`, a directory). */
function regularFileStats(path: string, directories = false): Stats {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw cannotRead(path, error);
  }
  if (stats.isFile() || (directories && stats.isDirectory())) return stats;
  const kind = stats.isFIFO()
    ? 'a FIFO (named pipe)'
    : stats.isCharacterDevice()
      ? 'a character device'
      : stats.isBlockDevice()
        ? 'a block device'
        : stats.isSocket()
          ? 'a socket'
          : 'a directory';
  throw new Error(
    `${path}: is ${kind}, not a regular file: aevb reads its data again every epoch, so it needs a file (save the stream to a file first)`,
  );
}

export interface FileSourceOptions {
  format?: DataFormat;
  dim?: number;
  /** For a directory: read only its files i, i + count, … in name order (trainer `index` of `count`). */
  shardOf?: { index: number; count: number };
}

/**
 * A file or a directory of shards as a row source. Throws at once for a missing path, an empty directory, or a
 * shardOf given for a single file (which cannot be split between trainers).
 */
export function fileSource(path: string, options: FileSourceOptions = {}): RowSource {
  const stats = regularFileStats(path, true);
  const format = options.format ?? 'auto';
  if (!stats.isDirectory()) {
    if (options.shardOf !== undefined)
      throw new Error(
        `${path}: --shard-of ${options.shardOf.index}/${options.shardOf.count} splits a directory of shards (or HTTP(S) ` +
          "shards) between trainers, but this is a single file: give each trainer its own file, or a directory's shards",
      );
    return parsedSource(path, () => fileBytes(path), rowParserFor(path, format, options.dim));
  }
  const all = readdirSync(path)
    .filter((f) => !f.startsWith('.'))
    .sort()
    .map((f) => join(path, f))
    .filter((f) => !regularFileStats(f, true).isDirectory());
  if (all.length === 0) throw new Error(`${path}: the shard directory holds no files`);
  const shards = shardsOf(all, options.shardOf, path);
  const sources = shards.map((shard) =>
    parsedSource(shard, () => fileBytes(shard), rowParserFor(shard, format, options.dim)),
  );
  return shardedSource(path, sameValueType(sources));
}

const valueTypeOf = (block: RowBlock) =>
  block.values instanceof Uint8Array ? 'bytes (u8, scaled by 1/255)' : 'floats';

/** The shards, each checked to hold the same type of values as the first one read, naming the one that differs. */
function sameValueType(shards: RowSource[]): RowSource[] {
  let first: { name: string; type: string } | null = null;
  return shards.map((shard) => ({
    name: shard.name,
    async *open() {
      for await (const block of shard.open()) {
        const type = valueTypeOf(block);
        first ??= { name: shard.name, type };
        if (type !== first.type) {
          throw new Error(
            `${shard.name}: holds ${type}, but ${first.name} holds ${first.type}: every ` +
              `shard must have one dtype (convert them all to uint8 or all to float32)`,
          );
        }
        yield block;
      }
    },
  }));
}
