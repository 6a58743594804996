// loadFromUrl in Node (its fetch): whole bodies, the maxBytes ceiling by Content-Length (nothing read)
// and while reading (no Content-Length), a body cut short, a 404, a refused connection, an abort
// mid-body with the signal's reason, bad options; and the IndexedDB helpers' message where there is none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFromUrl } from '../../src/io/fetch-bytes';
import { listInIndexedDB, loadFromIndexedDB, saveToIndexedDB } from '../../src/io/idb';
import { byteAt, startByteServer, type ByteServer } from './byte-server';

let server: ByteServer;
beforeAll(async () => { server = await startByteServer(); });
afterAll(async () => { await server?.close(); });

describe('loadFromUrl', () => {
  it('gives the whole body, byte for byte', async () => {
    for (const path of ['/bytes', '/chunked']) {
      const got = await loadFromUrl(`${server.url}${path}?n=100000`);
      expect(got.length).toBe(100000);
      expect(got.every((v, i) => v === byteAt(i)), path).toBe(true);
    }
    expect((await loadFromUrl(`${server.url}/bytes?n=0`)).length).toBe(0);
  });

  it('refuses a Content-Length past maxBytes before reading the body', async () => {
    await expect(loadFromUrl(`${server.url}/bytes?n=5000`, { maxBytes: 4999 }))
      .rejects.toThrow(/loadFromUrl: http:\/\/127\.0\.0\.1:\d+\/bytes\?n=5000 is 5000 bytes \(Content-Length\), more than maxBytes 4999; pass a larger maxBytes/);
    // Exactly maxBytes is fine.
    expect((await loadFromUrl(`${server.url}/bytes?n=5000`, { maxBytes: 5000 })).length).toBe(5000);
  });

  it('stops reading a body without Content-Length at maxBytes', async () => {
    const n = 64 << 20;
    await expect(loadFromUrl(`${server.url}/chunked?n=${n}`, { maxBytes: 100_000 }))
      .rejects.toThrow(/\/chunked\?n=67108864 sent more than maxBytes 100000 bytes; the rest was not read/);
    await new Promise((r) => setTimeout(r, 200));
    const sent = server.sent.get('/chunked')!;
    console.info(`server wrote ${sent} of ${n} bytes before the reader cancelled`);
    expect(sent).toBeLessThan(n / 2);
  });

  it('names a body that broke off before its Content-Length', async () => {
    const error = await loadFromUrl(`${server.url}/cut?n=1000`).catch((e: Error) => e);
    console.info(`cut short: ${(error as Error).message}`);
    expect((error as Error).message).toMatch(/\/cut\?n=1000 (broke off after 1000 bytes of its 2000 \(Content-Length\)|ended after 1000 of its 2000 bytes)/);
  });

  it('names the status of an answer that is not the file', async () => {
    await expect(loadFromUrl(`${server.url}/missing.safetensors`, { what: 'checkpoint' }))
      .rejects.toThrow(/^checkpoint: http:\/\/127\.0\.0\.1:\d+\/missing\.safetensors answered 404 Not Found; expected 200/);
  });

  it('names the URL it could not reach', async () => {
    // A port nothing listens on: the server's, after it closed.
    const gone = await startByteServer();
    const url = `${gone.url}/bytes?n=10`;
    await gone.close();
    await expect(loadFromUrl(url)).rejects.toThrow(/loadFromUrl: could not fetch http:\/\/127\.0\.0\.1:\d+\/bytes\?n=10: .*\(offline, a wrong address, or a cross-origin server without CORS headers\)/);
  });

  it('rejects with the signal’s reason when aborted mid-body or before', async () => {
    const stop = new AbortController();
    const loading = loadFromUrl(`${server.url}/stall?n=1000`, { signal: stop.signal });
    await new Promise((r) => setTimeout(r, 100));
    const reason = new Error('user pressed stop');
    stop.abort(reason);
    await expect(loading).rejects.toBe(reason);
    await expect(loadFromUrl(`${server.url}/bytes?n=10`, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('refuses a maxBytes that is not a byte count', async () => {
    for (const maxBytes of [-1, 1.5, NaN]) await expect(loadFromUrl(`${server.url}/bytes?n=1`, { maxBytes })).rejects.toThrow(/maxBytes must be a non-negative integer/);
  });
});

describe('the IndexedDB helpers in Node', () => {
  it('say that there is no IndexedDB here and how to keep the bytes instead', async () => {
    for (const call of [() => saveToIndexedDB('m', new Uint8Array(4)), () => loadFromIndexedDB('m'), () => listInIndexedDB()]) {
      await expect(call()).rejects.toThrow(/IndexedDB is not available here \(Node has none.*fs\.writeFile/);
    }
  });
});
