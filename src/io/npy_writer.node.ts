// Node-only: a .npy file written as its rows arrive, when their number is known only at the end. The header
// is written first with room for any row count (npyHeaderRoom) and rewritten in place by finish(); the
// bytes go to a temporary file beside the target, renamed over it only once complete, so a crash or an error
// never leaves a torn or half-counted .npy under the target's name.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { npyItemBytes } from '../data/npy_rows.ts';
import { npyHeader, npyHeaderRoom } from './npy_writer.ts';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class NpyFileWriter {
  /** The file this writer will have written once finished. */
  readonly path: string;
  private readonly temporary: string;
  private readonly descr: string;
  private readonly rowShape: readonly number[];
  private readonly rowBytes: number;
  private readonly headerBytes: number;
  private fd: number | null;
  private dataBytes = 0;

  /**
   * Starts `path` (as a temporary file beside it) for rows of `rowShape` items of dtype `descr` ('<f4' for
   * float32; float32 rows given to appendFloat32 are written little-endian whatever the host).
   */
  constructor(path: string, descr: string, rowShape: readonly number[]) {
    this.path = path;
    this.descr = descr;
    this.rowShape = [...rowShape];
    this.rowBytes = npyItemBytes(descr) * rowShape.reduce((a, b) => a * b, 1);
    this.headerBytes = npyHeaderRoom(descr, rowShape);
    this.temporary = `${path}.tmp-${process.pid}`;
    try {
      // A leftover of this name (a planted link, say) is removed; 'wx' (O_EXCL) never follows a link.
      try {
        unlinkSync(this.temporary);
      } catch {
        // Usually absent.
      }
      this.fd = openSync(this.temporary, 'wx');
    } catch (error) {
      throw writeError(path, `creating ${this.temporary}`, error);
    }
    this.write(npyHeader(descr, [0, ...rowShape], this.headerBytes), 'writing the header');
  }

  /** Rows written so far (whole rows; bytes of a partial row wait for the rest). */
  get rows(): number {
    return Math.floor(this.dataBytes / this.rowBytes);
  }

  /** Appends raw bytes already in the file's dtype and byte order. */
  append(bytes: Uint8Array): void {
    this.write(bytes, 'writing rows');
    this.dataBytes += bytes.length;
  }

  /** Appends float32 values (the file's dtype must be '<f4'), little-endian. */
  appendFloat32(values: Float32Array): void {
    if (this.descr !== '<f4') throw new Error(`aevb: ${this.path} holds '${this.descr}', not float32 ('<f4')`);
    if (LITTLE_ENDIAN_HOST) {
      this.append(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    } else {
      const bytes = new Uint8Array(values.length * 4);
      const view = new DataView(bytes.buffer);
      values.forEach((v, i) => view.setFloat32(4 * i, v, true));
      this.append(bytes);
    }
  }

  /** Writes the row count into the header, syncs, and renames the file into place; returns its path. */
  finish(): string {
    if (this.dataBytes % this.rowBytes !== 0) {
      this.abort();
      throw new Error(
        `aevb: ${this.path}: ${this.dataBytes} bytes of data are not whole rows of ${this.rowBytes} bytes; nothing was written`,
      );
    }
    const header = npyHeader(this.descr, [this.rows, ...this.rowShape], this.headerBytes);
    if (header.length !== this.headerBytes)
      throw new Error(
        `aevb: ${this.path}: internal error: the header grew from ${this.headerBytes} to ${header.length} bytes`,
      );
    this.write(header, 'writing the row count into the header', 0);
    const fd = this.fd!;
    try {
      fsyncSync(fd);
      closeSync(fd);
      this.fd = null;
      renameSync(this.temporary, this.path);
    } catch (error) {
      this.abort();
      throw writeError(this.path, `finishing ${this.temporary}`, error);
    }
    return this.path;
  }

  /** Closes and removes the temporary file; the target is left as it was. Safe to call more than once. */
  abort(): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // Already unusable; removing the file is what matters.
      }
      this.fd = null;
    }
    try {
      unlinkSync(this.temporary);
    } catch {
      // Never created, or already renamed or removed.
    }
  }

  /** Writes every byte at `position` (default: the end), retrying short writes; aborts and throws naming the step. */
  private write(bytes: Uint8Array, step: string, position?: number): void {
    if (this.fd === null) throw new Error(`aevb: ${this.path}: the writer is closed`);
    try {
      for (let done = 0; done < bytes.length;) {
        const n = writeSync(this.fd, bytes, done, bytes.length - done, position === undefined ? null : position + done);
        if (n <= 0) throw new Error(`a write made no progress after ${done} of ${bytes.length} bytes`);
        done += n;
      }
    } catch (error) {
      this.abort();
      throw writeError(this.path, step, error);
    }
  }
}

function writeError(path: string, step: string, error: unknown): Error {
  const e = error as NodeJS.ErrnoException;
  const why = e.code === 'ENOSPC' ? `${e.message} (is the disk full?)` : e.message;
  return new Error(`${path}: cannot write: ${step} failed: ${why}; nothing was written to ${path}`, { cause: error });
}
