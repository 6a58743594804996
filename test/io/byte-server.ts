// A local HTTP server whose answers the URL tests choose: n bytes with or without a Content-Length,
// a Content-Length larger than the body (cut short), one that stalls (for aborts), a 404, and one
// without CORS headers; every request is counted by path. Shared by the Node and Chromium tests.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ByteServer {
  url: string;
  /** Bytes written per path, to tell whether a refused body was read. */
  sent: Map<string, number>;
  close(): Promise<void>;
}

/** Byte i of every body is i mod 251, so a reader can check what it got. */
export const byteAt = (i: number) => i % 251;
const body = (n: number) => Uint8Array.from({ length: n }, (_, i) => byteAt(i));

export async function startByteServer(): Promise<ByteServer> {
  const sent = new Map<string, number>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const n = Number(url.searchParams.get('n') ?? 0);
    const cors = url.pathname !== '/nocors';
    const head = (status: number, headers: Record<string, string | number> = {}) =>
      res.writeHead(status, { 'content-type': 'application/octet-stream', ...(cors ? { 'access-control-allow-origin': '*' } : {}), ...headers });
    const write = (r: ServerResponse, bytes: Uint8Array) => {
      sent.set(url.pathname, (sent.get(url.pathname) ?? 0) + bytes.length);
      return r.write(bytes);
    };
    switch (url.pathname) {
      case '/bytes': case '/nocors':
        head(200, { 'content-length': n });
        write(res, body(n));
        res.end();
        return;
      case '/chunked': {
        // No Content-Length: 4 KiB chunks until n bytes, stopping once the client has gone.
        head(200);
        let o = 0;
        const next = () => {
          while (o < n) {
            const chunk = Uint8Array.from({ length: Math.min(4096, n - o) }, (_, i) => byteAt(o + i));
            const ok = write(res, chunk);
            o += chunk.length;
            if (!ok) { res.once('drain', next); return; }
          }
          res.end();
        };
        res.on('close', () => { o = n; });
        next();
        return;
      }
      case '/cut':
        head(200, { 'content-length': 2 * n });
        write(res, body(n));
        setTimeout(() => res.destroy(), 50);
        return;
      case '/stall':
        head(200, { 'content-length': 2 * n });
        write(res, body(n));
        return;
      default:
        head(404);
        res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sent,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
