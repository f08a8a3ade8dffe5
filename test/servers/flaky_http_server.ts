// Test helper: a local node:http file server (127.0.0.1, a free port) that honours Range and If-Match, gives
// each version of a file its own ETag, and on request cuts responses short mid-body — a dropped connection —
// or changes a file between two requests; on request it sends no length (close-delimited bodies) or no
// validators (neither ETag nor Last-Modified), as some servers do. Hostile servers too: one that dribbles (a few
// bytes every so often, never stalling long enough to look dead), one that sends half of what is left and then
// stalls, every time, and one that redirects elsewhere (a file: URL).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedRequest {
  path: string;
  range: string | null;
  ifMatch: string | null;
  status: number;
}

export interface FlakyHttpServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Every request so far, in order. */
  requests: ServedRequest[];
  /** Serves `bytes` at `path` (a new version, with a new ETag, if it was served before). */
  put(path: string, bytes: Uint8Array): void;
  /** The next `count` responses with a body send only `afterBytes` bytes of it, then drop the connection; `then` runs after each drop. */
  dropNext(count: number, afterBytes: number, then?: () => void): void;
  /** The next `count` responses with a body send only `afterBytes` bytes of it, then nothing, the connection left open. */
  stallNext(count: number, afterBytes: number): void;
  /** The next `count` responses with a body send `bytes` bytes every `everyMs`, the connection kept open. */
  dribbleNext(count: number, bytes: number, everyMs: number): void;
  /** The next `count` responses with a body send half of what they hold (at least a byte), then stall, left open. */
  halveNext(count: number): void;
  /** Answers requests for `path` with 302 Found to `location`. */
  redirect(path: string, location: string): void;
  /** Answer Range requests with the whole file (200), as some servers do. */
  ignoreRange: boolean;
  /** Send no Content-Length: the body ends when the connection closes (a close-delimited response), so a dropped connection looks like the end. */
  noLength: boolean;
  /** Send neither ETag nor Last-Modified (and ignore If-Match), as some servers do: nothing to tell two versions of a file apart. */
  noValidators: boolean;
  close(): Promise<void>;
}

export async function startFlakyHttpServer(): Promise<FlakyHttpServer> {
  const files = new Map<string, { bytes: Uint8Array; etag: string }>();
  let versions = 0;
  let drops: { count: number; afterBytes: number; then?: () => void } = { count: 0, afterBytes: 0 };
  let stalls = { count: 0, afterBytes: 0 };
  let dribbles = { count: 0, bytes: 0, everyMs: 0 };
  let halves = 0;
  const redirects = new Map<string, string>();
  const timers = new Set<ReturnType<typeof setInterval>>();
  const requests: ServedRequest[] = [];
  const served: FlakyHttpServer = {
    url: '',
    requests,
    ignoreRange: false,
    noLength: false,
    noValidators: false,
    put(path, bytes) {
      files.set(path, { bytes, etag: `"v${++versions}"` });
    },
    dropNext(count, afterBytes, then) {
      drops = { count, afterBytes, then };
    },
    stallNext(count, afterBytes) {
      stalls = { count, afterBytes };
    },
    dribbleNext(count, bytes, everyMs) {
      dribbles = { count, bytes, everyMs };
    },
    halveNext(count) {
      halves = count;
    },
    redirect(path, location) {
      redirects.set(path, location);
    },
    close: () =>
      new Promise((resolve) => {
        for (const t of timers) clearInterval(t);
        server.close(() => resolve());
        server.closeAllConnections(); // fetch keeps connections alive; close() alone would wait for them
      }),
  };
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url!, 'http://x').pathname;
    const record = (status: number) =>
      requests.push({
        path,
        range: req.headers.range ?? null,
        ifMatch: (req.headers['if-match'] as string) ?? null,
        status,
      });
    const location = redirects.get(path);
    if (location !== undefined) {
      record(302);
      res.writeHead(302, { Location: location }).end();
      return;
    }
    const file = files.get(path);
    if (file === undefined) {
      record(404);
      res.writeHead(404).end();
      return;
    }
    if (!served.noValidators && req.headers['if-match'] !== undefined && req.headers['if-match'] !== file.etag) {
      record(412);
      res.writeHead(412, { ETag: file.etag }).end();
      return;
    }
    const range = served.ignoreRange ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start >= file.bytes.length && range) {
      record(416);
      res.writeHead(416, { 'Content-Range': `bytes */${file.bytes.length}` }).end();
      return;
    }
    const body = file.bytes.subarray(start);
    const status = range ? 206 : 200;
    record(status);
    if (served.noLength) res.useChunkedEncodingByDefault = false; // no length, no chunks: the close ends the body
    res.writeHead(status, {
      ...(served.noValidators ? {} : { ETag: file.etag }),
      ...(served.noLength ? {} : { 'Content-Length': body.length }),
      'Accept-Ranges': 'bytes',
      ...(range ? { 'Content-Range': `bytes ${start}-${file.bytes.length - 1}/${file.bytes.length}` } : {}),
    });
    if (drops.count > 0 && body.length > drops.afterBytes) {
      drops.count--;
      const then = drops.then;
      res.write(body.subarray(0, drops.afterBytes), () => {
        res.socket?.destroy();
        then?.();
      });
      return;
    }
    if (dribbles.count > 0 && body.length > 0) {
      dribbles.count--;
      const { bytes, everyMs } = dribbles;
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed || sent >= body.length) {
          clearInterval(timer);
          timers.delete(timer);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(body.subarray(sent, sent + bytes));
        sent += bytes;
      }, everyMs);
      timers.add(timer);
      return;
    }
    if (halves > 0 && body.length > 0) {
      halves--;
      res.write(body.subarray(0, Math.max(1, Math.floor(body.length / 2))));
      return;
    }
    if (stalls.count > 0 && body.length > stalls.afterBytes) {
      stalls.count--;
      res.write(body.subarray(0, stalls.afterBytes));
      return;
    }
    res.end(body);
  };
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  served.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return served;
}
