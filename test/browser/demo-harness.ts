// The demo page's test harness (shared by the demo's browser test files): the site built as
// `npm run build:demo` makes it and served by a plain static server, one headless Chromium, pages that
// record console errors and long tasks, the page's status (window.__demo) and waits on it.
import { afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium, PROJECT_ROOT, type LaunchedChromium } from './chromium';
import { serveStatic, type StaticServer } from './static-server';

export interface LossPoint { step: number; elbo: number; rec: number; kl: number; objective: number }
export interface DemoStatus {
  state: string;
  busy: boolean;
  host: 'worker' | 'main' | null;
  hostNote: string;
  step: number;
  adapter: string;
  software: boolean;
  model: string;
  batch: number;
  stepsPerSecond: number;
  train: LossPoint[];
  test: LossPoint[];
  lastTestElbo: number | null;
  loaded: { name: string; step: number } | null;
  saves: number;
  message: string;
  warnings: string[];
  posterior: { step: number; strokes: number; source: string; mu: number[]; sigma: number[]; rec: number; kl: number } | null;
  reconstruction: number[] | null;
  hover: { z: number[]; step: number; image: number[] } | null;
  lkCurve: { digit: string; step: number; ks: number[]; negLk: number[]; rec: number; kl: number } | null;
  traversal: { units: number[]; activity: number[]; values: number[]; z: number[]; frames: number; step: number } | null;
}

export function run(cmd: string, args: string[], timeout = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: PROJECT_ROOT, timeout, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Build once, serve once, one browser: shared by the tests, made inside the first that needs them. */
let env: Promise<{ site: string; server: StaticServer; chromium: LaunchedChromium; tmp: string }> | undefined;
export function setup() {
  env ??= (async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'webgpu-vae-demo-test-'));
    const site = join(tmp, 'site');
    const t0 = performance.now();
    const built = await run(process.execPath, [join(PROJECT_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'demo/vite.config.ts', '--outDir', site, '--emptyOutDir', '--logLevel', 'warn']);
    if (built.code !== 0) throw new Error(`vite build --config demo/vite.config.ts failed (${built.code}):\n${built.stdout}\n${built.stderr}`);
    console.info(`built the demo in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${(await readdir(site)).join(', ')}`);
    const chromium = await launchChromium();
    const server = await serveStatic(site);
    console.info(`browser: ${chromium.executablePath} (${await chromium.browser.version()}), site ${server.url}`);
    return { site, server, chromium, tmp };
  })();
  return env;
}

afterAll(async () => {
  if (!env) return;
  const e = await env.catch(() => undefined);
  await e?.chromium.close();
  await e?.server.close();
  if (e) await rm(e.tmp, { recursive: true, force: true });
});

/** A page that records console errors, uncaught errors, failed requests and long main-thread tasks. */
export async function openPage(browser: Browser) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()} (${msg.location().url ?? '?'})`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e instanceof Error ? e.message : String(e)}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.evaluateOnNewDocument(() => {
    const w = window as unknown as { __longTasks: [number, number][] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  });
  return { page, errors };
}

export const status = (page: Page) => page.evaluate(() => (window as unknown as { __demo: DemoStatus }).__demo);

/** Waits until `ok(status)` holds; fails at once if the page reports an error state. */
export async function waitFor(page: Page, what: string, ok: (s: DemoStatus) => boolean, timeoutMs: number): Promise<DemoStatus> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const s = await status(page);
    if (ok(s)) return s;
    if (['error', 'diverged', 'no-webgpu'].includes(s.state)) throw new Error(`page state ${s.state} while waiting for ${what}: ${s.message}`);
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}; page at step ${s.step}, state ${s.state}: ${s.message}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Non-background pixels of a 2-D canvas (background: its top-left pixel) and distinct grey levels. */
export function canvasInk(page: Page, id: string) {
  return page.evaluate((id) => {
    const c = document.getElementById(id) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    const levels = new Set<number>();
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i]! - d[0]!) + Math.abs(d[i + 1]! - d[1]!) + Math.abs(d[i + 2]! - d[2]!) > 24) ink++;
      levels.add(d[i]! >> 2);
    }
    return { ink: ink / (d.length / 4), levels: levels.size, width: c.width, height: c.height };
  }, id);
}

/** Draws a stroke through `points` (fractions of the element's box, scrolled into view) with the mouse: pointer events. */
export async function stroke(page: Page, selector: string, points: [number, number][], steps = 6): Promise<void> {
  const el = (await page.$(selector))!;
  await el.scrollIntoView();
  const box = (await el.boundingBox())!;
  const at = ([u, v]: [number, number]) => [box.x + u * box.width, box.y + v * box.height] as const;
  await page.mouse.move(...at(points[0]!));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps });
  await page.mouse.up();
}

/** Long main-thread tasks ([start, duration] in ms) the page recorded since `since` (its clock). */
export async function longTasksSince(page: Page, since: number): Promise<[number, number][]> {
  return (await page.evaluate(() => (window as unknown as { __longTasks: [number, number][] }).__longTasks)).filter(([t]) => t >= since);
}

/** Clicks Save and returns the downloaded model.safetensors (CDP download to a fresh folder). */
export async function saveFromPage(browser: Browser, page: Page, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const cdp = await browser.target().createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir, eventsEnabled: true });
  const before = (await status(page)).saves;
  await page.click('#save');
  await waitFor(page, 'the save', (s) => s.saves > before, 30_000);
  const file = join(dir, 'model.safetensors');
  const until = performance.now() + 30_000;
  while (!(existsSync(file) && !(await readdir(dir)).some((f) => f.endsWith('.crdownload')))) {
    if (performance.now() > until) throw new Error(`no download arrived in ${dir}: ${(await readdir(dir)).join(', ') || 'empty'}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await cdp.detach();
  return file;
}

