/**
 * Rows parsed from any ReadableStream of bytes: a File picked in a page (`file.stream()`), a Blob, a stream a
 * service already has. Each pass (epoch) calls `open` for a fresh stream. The format comes from `name` unless
 * given; raw rows need `dim`.
 */
import { rowParserFor, type DataFormat } from './row_format.ts';
import { parsedSource, readableStreamBytes, type RowSource } from './row_source.ts';

export interface StreamSourceOptions {
  /** Default 'auto': from the name's ending (.idx / -ubyte, .npy, .gz …). */
  format?: DataFormat;
  /** Values per row, for raw rows. */
  dim?: number;
}

/**
 * @example
 * const source = streamSource(file.name, () => file.stream());   // a File from <input type="file">
 */
export function streamSource(
  name: string,
  open: () => ReadableStream<Uint8Array>,
  options: StreamSourceOptions = {},
): RowSource {
  return parsedSource(name, () => readableStreamBytes(open()), rowParserFor(name, options.format, options.dim));
}
