/**
 * A source of rows that can be opened again and again (one pass per epoch), read block by block. Nothing is
 * read until the pass is iterated, and a pass reads only as fast as it is iterated: that is what lets the
 * pipeline pause a source (src/stream/rows_from.ts). Breaking out of a pass closes what it opened.
 */
import type { RowBlock, RowParser } from './row_block.ts';

export interface RowSource {
  /** A path, URL or description, for messages. */
  name: string;
  /**
   * A fresh pass over the rows. The training pipeline says which epoch the pass is for, so a source whose
   * order depends on it (HTTP shards read in a seeded order per epoch) needs no count of its own.
   */
  open(epoch?: number): AsyncIterable<RowBlock>;
}

/** A source whose bytes come from `openBytes` (a file, a fetch) and are cut into rows by a fresh parser. */
export function parsedSource(
  name: string,
  openBytes: () => AsyncIterable<Uint8Array>,
  makeParser: () => RowParser,
): RowSource {
  return {
    name,
    async *open() {
      const parser = makeParser();
      for await (const chunk of openBytes()) {
        const block = parser.push(chunk);
        if (block !== null) yield block;
      }
      parser.end();
    },
  };
}

/** The bytes of a ReadableStream (fetch's body, a File's stream()), released when the pass ends early. */
export async function* readableStreamBytes(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** Shards read in sequence as one source; every shard must have the first one's row length. */
export function shardedSource(name: string, shards: RowSource[]): RowSource {
  return {
    name,
    async *open() {
      let D: number | null = null;
      for (const shard of shards) {
        for await (const block of shard.open()) {
          D ??= block.D;
          if (block.D !== D)
            throw new Error(`${shard.name}: rows have ${block.D} values, but the shards before it have ${D}`);
          yield block;
        }
      }
    },
  };
}
