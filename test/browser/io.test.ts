// The bytes helpers in headless Chromium (src/io/, served by the project's Vite dev server): IndexedDB
// save, load, list, replace and delete, with errors for a missing name, a foreign record and bad
// arguments; loadFromUrl across origins with CORS, its maxBytes ceiling, a 404, a server without CORS
// headers and an abort rejecting with the signal's reason.
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startByteServer, type ByteServer } from '../io/byte-server';
import { launchChromium, startViteServer, type DevServer, type LaunchedChromium } from './chromium';

let chromium: LaunchedChromium;
let server: DevServer;
let bytes: ByteServer;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  [chromium, server, bytes] = await Promise.all([launchChromium(), startViteServer(), startByteServer()]);
  page = await chromium.browser.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(new URL('test/browser/io.html', server.url).href);
}, 120_000);
afterAll(async () => {
  await chromium?.close();
  await server?.close();
  await bytes?.close();
});

/** Runs `body` in the page with the module `src/io/<name>.ts` as `io`; resolves to what it returns. */
function inPage<T>(name: string, body: string, arg: unknown = null): Promise<T> {
  // As text: vitest rewrites a dynamic import() in a function of this file, and the page has no such helper.
  return page.evaluate(`(async (arg) => { const io = await import('/src/io/${name}.ts'); ${body} })(${JSON.stringify(arg)})`) as Promise<T>;
}

/** The message an async call in the page rejected with. */
const failure = (call: string) => `try { await ${call}; return 'resolved'; } catch (e) { return String(e.message); }`;

describe('IndexedDB in the page', () => {
  it('saves, lists, loads byte for byte, replaces and deletes', async () => {
    const r = await inPage<{ equal: boolean; names: string[]; replaced: number[]; deleted: boolean[]; after: string[] }>('idb', `
      const a = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 7919) % 256);
      await io.saveToIndexedDB('model-a', a);
      await io.saveToIndexedDB('model-b', new Uint8Array([1, 2, 3]));
      a[0] = 99;   // the stored copy is not the caller's array
      const got = await io.loadFromIndexedDB('model-a');
      const equal = got.length === a.length && got[0] === 0 && got.every((v, i) => i === 0 || v === a[i]);
      const names = await io.listInIndexedDB();
      await io.saveToIndexedDB('model-b', new Uint8Array([4, 5]));
      const replaced = Array.from(await io.loadFromIndexedDB('model-b'));
      const deleted = [await io.deleteFromIndexedDB('model-a'), await io.deleteFromIndexedDB('model-a')];
      return { equal, names, replaced, deleted, after: await io.listInIndexedDB() };`);
    expect(r).toEqual({ equal: true, names: ['model-a', 'model-b'], replaced: [4, 5], deleted: [true, false], after: ['model-b'] });
  });

  it('keeps databases apart by name', async () => {
    const r = await inPage<string[]>('idb', `
      await io.saveToIndexedDB('x', new Uint8Array(1), { database: 'another-app' });
      return [...await io.listInIndexedDB({ database: 'another-app' }), '|', ...await io.listInIndexedDB()];`);
    expect(r).toEqual(['x', '|', 'model-b']);
  });

  it('names what is saved when asked for a name that is not', async () => {
    expect(await inPage<string>('idb', failure("io.loadFromIndexedDB('model-z')")))
      .toBe('loadFromIndexedDB: nothing is saved as "model-z" in IndexedDB webgpu-vae-models; saved: "model-b"');
  });

  it('refuses a record that saveToIndexedDB did not write, and bad arguments', async () => {
    const foreign = await inPage<string>('idb', `
      const db = await io.openIdb(indexedDB, 'webgpu-vae-models', 1, 'checkpoints');
      await io.idbRequest(db.transaction('checkpoints', 'readwrite').objectStore('checkpoints').put('some text', 'odd'));
      db.close();
      ${failure("io.loadFromIndexedDB('odd')")}`);
    expect(foreign).toMatch(/^loadFromIndexedDB: the record "odd" was not written by saveToIndexedDB \(format undefined; expected "webgpu-vae bytes 1"/);
    expect(await inPage<string>('idb', failure("io.saveToIndexedDB('', new Uint8Array(1))"))).toMatch(/the name must be a non-empty string, got ""/);
    expect(await inPage<string>('idb', failure("io.saveToIndexedDB('m', [1, 2, 3])"))).toMatch(/expected the bytes as a Uint8Array \(what GpuVae\.save\(\) gives\), got \[object Array\]/);
  });
});

describe('loadFromUrl in the page', () => {
  it('reads a cross-origin body that allows it', async () => {
    const n = await inPage<number>('fetch-bytes', 'return (await io.loadFromUrl(arg)).length;', `${bytes.url}/bytes?n=300000`);
    expect(n).toBe(300000);
  });

  it('refuses past maxBytes, by Content-Length and while reading', async () => {
    expect(await inPage<string>('fetch-bytes', failure('io.loadFromUrl(arg, { maxBytes: 1000 })'), `${bytes.url}/bytes?n=1001`))
      .toMatch(/\/bytes\?n=1001 is 1001 bytes \(Content-Length\), more than maxBytes 1000/);
    expect(await inPage<string>('fetch-bytes', failure('io.loadFromUrl(arg, { maxBytes: 50000 })'), `${bytes.url}/chunked?n=${16 << 20}`))
      .toMatch(/\/chunked\?n=16777216 sent more than maxBytes 50000 bytes; the rest was not read/);
  });

  it('names a 404 and a server that sends no CORS headers', async () => {
    expect(await inPage<string>('fetch-bytes', failure('io.loadFromUrl(arg)'), `${bytes.url}/models/none.safetensors`))
      .toMatch(/\/models\/none\.safetensors answered 404 Not Found; expected 200/);
    expect(await inPage<string>('fetch-bytes', failure('io.loadFromUrl(arg)'), `${bytes.url}/nocors?n=10`))
      .toMatch(/could not fetch http:\/\/127\.0\.0\.1:\d+\/nocors\?n=10: .*cross-origin server without CORS headers/);
  });

  it('rejects with the signal’s reason when aborted mid-body', async () => {
    const same = await inPage<boolean>('fetch-bytes', `
      const stop = new AbortController();
      const reason = new Error('stop');
      const loading = io.loadFromUrl(arg, { signal: stop.signal });
      setTimeout(() => stop.abort(reason), 100);
      try { await loading; return false; } catch (e) { return e === reason; }`, `${bytes.url}/stall?n=1000`);
    expect(same).toBe(true);
    expect(errors).toEqual([]);
  });
});
