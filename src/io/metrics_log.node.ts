// Node-only: a run's metrics log (metrics.jsonl), one JSON record a line, appended as the run goes and read back
// to redraw its charts (a resumed run's earlier epochs included).
//
// The log is appended to, so it is read tolerantly: a last line without its end of line is what a kill or a full
// disk leaves (a torn record), and is skipped with a warning naming the file; any other line that is not a JSON
// record is an error naming the file and the line. The writer keeps the log whole: it is opened with O_NOFOLLOW
// (never appended through a symbolic link) and must be a regular file of one link; a torn last line found when it
// is opened is cut off (with a warning) before anything is appended after it; an append that fails half-way is
// cut back to where it began, so a later record never follows a torn one. A failed append is a warning, not the
// end of the run: the log is auxiliary, the checkpoints are what a run keeps.
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { OutputFileError, reasonOf, warnOnStderr } from './output_files.node.ts';

/** A record of the log: `type` says what it is ('start', 'train', 'test', 'checkpoint', 'done', …). */
export type LogRecord = { type: string } & Record<string, unknown>;

/** The log's records, a torn last line skipped with a warning; throws an OutputFileError naming the bad line. */
export function readMetricsLog(path: string, warn: (message: string) => void = warnOnStderr): LogRecord[] {
  let text: string;
  let fd: number | null = null;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (!fstatSync(fd).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    text = new TextDecoder().decode(readAll(fd));
  } catch (error) {
    throw new OutputFileError(path, `${path}: cannot read the metrics log (${reasonOf(error)})`, error);
  } finally {
    if (fd !== null) closeSync(fd);
  }
  return parseMetricsLog(text, path, warn);
}

/** The records of a log's text (see readMetricsLog); `path` names it in messages. */
export function parseMetricsLog(
  text: string,
  path: string,
  warn: (message: string) => void = warnOnStderr,
): LogRecord[] {
  const lines = text.split('\n');
  // The text after the last end of line: '' for a whole log, else a record cut short (or, rarely, one whole
  // record whose end of line was lost: kept).
  const tail = lines.pop()!;
  const records: LogRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const record = recordOf(line);
    if (typeof record === 'string') {
      throw new OutputFileError(
        path,
        `${path}, line ${i + 1}: not a JSON record (${record}); the metrics log is ` +
          `damaged there: remove or repair that line (checkpoints do not depend on the log)`,
      );
    }
    records.push(record);
  });
  if (tail.trim() !== '') {
    const record = recordOf(tail);
    if (typeof record === 'string') warn(tornLineMessage(path, lines.length + 1, tail.length, 'skipped'));
    else records.push(record);
  }
  return records;
}

function tornLineMessage(path: string, line: number, bytes: number, what: string): string {
  return `${path}, line ${line}: the last line is torn (${bytes} bytes with no end of line: a run stopped or a disk filled mid-write); ${what}`;
}

/** The line's record, or why it is not one. */
function recordOf(line: string): LogRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return (error as Error).message;
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    typeof (value as LogRecord).type !== 'string'
  ) {
    return 'expected an object with a "type"';
  }
  return value as LogRecord;
}

function readAll(fd: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = new Uint8Array(1 << 20);
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

/** The writing side: records appended one line each (see the top of this file). */
export class MetricsLog {
  private fd: number | null;
  /** The log's length after the last whole record: where a failed append is cut back to. */
  private size: number;
  /** Records lost since appending began to fail (null while it works). */
  private lost: { count: number } | null = null;

  /**
   * Opens (or creates) the log at `path` for appending. Throws an OutputFileError naming it when it is a
   * symbolic link or not a regular file of its own, or when a line before the last is not a record (the
   * run refuses to start before it trains anything); a torn last line is cut off with a warning.
   */
  constructor(
    readonly path: string,
    private readonly warn: (message: string) => void = warnOnStderr,
  ) {
    let fd: number;
    try {
      fd = openSync(
        path,
        constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
        0o644,
      );
    } catch (error) {
      throw new OutputFileError(
        path,
        `${path}: cannot open the metrics log (${reasonOf(error)}); remove it, or choose another --out`,
        error,
      );
    }
    this.fd = fd;
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile())
        throw new OutputFileError(
          path,
          `${path}: the metrics log is not a regular file; remove it, or choose another --out`,
        );
      if (stats.nlink > 1)
        throw new OutputFileError(
          path,
          `${path}: the metrics log has ${stats.nlink} hard links; aevb appends only to a file of its own (remove it, or choose another --out)`,
        );
      this.size = stats.size;
      if (stats.size > 0) this.cutTornTail(fd);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Appends `record` as one line; a failure is a warning (the first of a series), and the log stays whole. */
  append(record: object): void {
    if (this.fd === null) return; // closed: the run has printed its last line
    const bytes = new TextEncoder().encode(`${JSON.stringify(record)}\n`);
    try {
      let at = 0;
      while (at < bytes.length) {
        const written = writeSync(this.fd, bytes, at, bytes.length - at);
        if (!(written > 0)) throw Object.assign(new Error('a write stored nothing'), { code: 'ENOSPC' });
        at += written;
      }
      this.size += bytes.length;
      if (this.lost !== null) {
        this.warn(
          `${this.path}: appending works again; ${this.lost.count} record${this.lost.count === 1 ? ' was' : 's were'} lost from the metrics log`,
        );
        this.lost = null;
      }
    } catch (error) {
      try {
        ftruncateSync(this.fd, this.size); // no torn record stays for the next one to follow
      } catch {
        // The next open cuts a torn tail off.
      }
      if (this.lost === null) {
        this.warn(
          `${this.path}: cannot append to the metrics log (${reasonOf(error)}); its records are lost until it can (checkpoints are written as before)`,
        );
        this.lost = { count: 0 };
      }
      this.lost.count++;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Checks the whole log, and cuts a torn last line off (a whole last record missing only its end of line gets it). */
  private cutTornTail(fd: number): void {
    const text = new TextDecoder().decode(readAll(fd)); // O_APPEND: reads start at 0, writes still go to the end
    const cut = text.lastIndexOf('\n') + 1;
    const tail = text.slice(cut);
    parseMetricsLog(text.slice(0, cut), this.path, this.warn); // throws on a damaged line
    if (tail === '') return;
    const tailBytes = new TextEncoder().encode(tail).length;
    if (typeof recordOf(tail) !== 'string') {
      writeSync(fd, '\n');
      this.size += 1;
      return;
    }
    this.warn(tornLineMessage(this.path, text.slice(0, cut).split('\n').length, tailBytes, 'cut off before appending'));
    ftruncateSync(fd, this.size - tailBytes);
    this.size -= tailBytes;
  }
}
