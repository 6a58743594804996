// examples/worker from the tarball alone, in headless Chromium: a VAE trains in a Web Worker, its
// progress reaches the page in step order while the page's main thread keeps answering (and never
// touches WebGPU), Stop ends it early through the worker's AbortSignal, the checkpoint lands in
// IndexedDB; and where the worker has no navigator.gpu (an insecure origin) the error says why.
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedChromium } from '../browser/chromium';
import { serveStatic, type StaticServer } from '../browser/static-server';
import { installExample, packLibrary, run, type PackedLibrary } from './tarball';

// A name that resolves to this machine but is not a secure context (only localhost and 127.0.0.1 are).
const INSECURE_HOST = 'webgpu-vae.test';

interface Message { type: string; step?: number; at: number }
interface Result { step?: number; stopped?: string | null; testNegElbo?: number; checkpointBytes?: number; error?: string }

let lib: PackedLibrary;
let server: StaticServer;
let chromium: LaunchedChromium;
beforeAll(async () => {
  lib = await packLibrary();
  const app = await installExample(lib, 'worker', ['index.html', 'main.js', 'worker.js', 'make-mnist.mjs', 'vite.config.js']);
  await run('npm', ['run', 'build'], { cwd: app, timeout: 180_000 });
  server = await serveStatic(join(app, 'dist'));
  chromium = await launchChromium({ extraArgs: [`--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`] });
}, 400_000);
afterAll(async () => {
  await chromium?.close();
  await server?.close();
  await lib?.close();
});

/** Opens the page with a spy on the page realm's navigator.gpu and a long-task log. */
async function open(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await chromium.browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.evaluateOnNewDocument(() => {
    const w = window as unknown as { __gpuReads: number; __longTasks: number[] };
    w.__gpuReads = 0;
    w.__longTasks = [];
    const own = Object.getOwnPropertyDescriptor(Navigator.prototype, 'gpu');
    if (own?.get) Object.defineProperty(Navigator.prototype, 'gpu', { configurable: true, get() { w.__gpuReads++; return own.get!.call(this); } });
    new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(url);
  return { page, errors };
}

const state = (page: Page) => page.evaluate(() => ({
  progress: (window as unknown as { __messages: Message[] }).__messages.filter((m) => m.type === 'progress').length,
  state: document.body.dataset.state,
}));

describe('examples/worker', () => {
  it('trains in the worker; progress reaches the page while its main thread stays free', async () => {
    const { page, errors } = await open(`${server.url}?epochs=3&train=320`);
    try {
      // Poll from here: each answer is the page's main thread running between the worker's messages.
      const seenWhileTraining = new Set<number>();
      for (;;) {
        const s = await state(page);
        if (s.state) break;
        if (s.progress > 0) seenWhileTraining.add(s.progress);
        await new Promise((r) => setTimeout(r, 50));
      }
      const result = await page.evaluate(() => (window as unknown as { __result: Result }).__result);
      const messages = await page.evaluate(() => (window as unknown as { __messages: Message[] }).__messages);
      const { gpuReads, longTasks } = await page.evaluate(() => {
        const w = window as unknown as { __gpuReads: number; __longTasks: number[] };
        return { gpuReads: w.__gpuReads, longTasks: w.__longTasks };
      });
      const steps = messages.filter((m) => m.type === 'progress').map((m) => m.step!);
      console.info(`worker example: ${JSON.stringify(result)}; ${steps.length} progress messages (steps ${steps.join(' ')}); ` +
        `the page answered at ${seenWhileTraining.size} distinct progress counts while training; long tasks on the page: ${longTasks.length}` +
        `${longTasks.length ? `, longest ${Math.max(...longTasks).toFixed(0)} ms` : ''} (machine loaded; not asserted)`);
      expect(result.error).toBeUndefined();
      expect(result.stopped).toBeNull();
      expect(result.step).toBe(30);
      expect(Number.isFinite(result.testNegElbo)).toBe(true);
      expect(result.checkpointBytes).toBeGreaterThan(1000);
      expect(messages[0]!.type).toBe('ready');
      expect(messages.filter((m) => m.type === 'epoch').map((m) => m.step)).toEqual([10, 20, 30]);
      // Every 5th step (readEvery 5) and each epoch's end, in step order.
      expect(steps.length).toBeGreaterThanOrEqual(6);
      expect([...steps].sort((a, b) => a - b)).toEqual(steps);
      expect(steps.at(-1)).toBe(30);
      expect(seenWhileTraining.size, 'the page answered between progress messages').toBeGreaterThanOrEqual(2);
      expect(gpuReads, 'the page itself never touched navigator.gpu').toBe(0);
      expect(errors, errors.join('\n')).toEqual([]);
    } finally {
      await page.close();
    }
  }, 300_000);

  it('stops early when the page asks, and keeps the checkpoint of where it stopped', async () => {
    const { page, errors } = await open(`${server.url}?epochs=50&train=320`);
    try {
      await page.waitForFunction(() => (window as unknown as { __messages: Message[] }).__messages.some((m) => m.type === 'progress'), { timeout: 150_000 });
      await page.click('#stop');
      await page.waitForFunction(() => !!document.body.dataset.state, { timeout: 150_000 });
      const result = await page.evaluate(() => (window as unknown as { __result: Result }).__result);
      console.info(`stopped worker: ${JSON.stringify(result)}`);
      expect(result.error).toBeUndefined();
      expect(result.stopped).toBe('aborted');
      expect(result.step).toBeGreaterThan(0);
      expect(result.step).toBeLessThan(500);
      expect(result.checkpointBytes).toBeGreaterThan(1000);
      expect(errors, errors.join('\n')).toEqual([]);
    } finally {
      await page.close();
    }
  }, 300_000);

  it('says why where the worker has no navigator.gpu (a page served from an insecure origin)', async () => {
    const { page } = await open(server.url.replace('127.0.0.1', INSECURE_HOST));
    try {
      await page.waitForFunction(() => !!document.body.dataset.state, { timeout: 60_000 });
      const result = await page.evaluate(() => (window as unknown as { __result: Result }).__result);
      console.info(`worker without WebGPU: ${result.error}`);
      expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
      expect(result.error).toMatch(/WebGPU is not available in this worker \(self\.navigator\.gpu is undefined\)\. .*Chrome or Edge 113\+.*This worker is not a secure context/);
    } finally {
      await page.close();
    }
  }, 120_000);
});
