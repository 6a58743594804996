// The consumer project of consumer-node.test.ts bundled for the browser by esbuild from the packed
// tarball alone (no `webgpu`, no data package installed: the bundle must not need them), run in
// headless Chromium on navigator.gpu: the same checks, and its model through IndexedDB and back.
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedChromium } from '../browser/chromium';
import { serveStatic, type StaticServer } from '../browser/static-server';
import { installConsumer, judgeChecks, type ConsumerResults } from './consumer-harness';
import { packLibrary, run, type PackedLibrary } from './tarball';

let lib: PackedLibrary;
let server: StaticServer;
let chromium: LaunchedChromium;
let results: ConsumerResults;
let bundle: string;
const errors: string[] = [];
beforeAll(async () => {
  lib = await packLibrary();
  const app = await installConsumer(lib, 'browser', ['page.js', 'index.html'], { devDependencies: { esbuild: '^0.28.2' } });
  // A plain browser bundle: no externals, no Node shims.
  await run('npx', ['esbuild', 'page.js', '--bundle', '--format=esm', '--platform=browser', '--target=es2022', '--outdir=dist'], { cwd: app, timeout: 120_000 });
  await copyFile(join(app, 'index.html'), join(app, 'dist/index.html'));
  bundle = await readFile(join(app, 'dist/page.js'), 'utf8');
  [server, chromium] = await Promise.all([serveStatic(join(app, 'dist')), launchChromium()]);
  const page = await chromium.browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url);
  await page.waitForFunction(() => !!document.body.dataset.state, { timeout: 500_000 });
  results = await page.evaluate(() => (window as unknown as { __results: ConsumerResults }).__results);
  console.info(`browser consumer: ${JSON.stringify(results)}`);
}, 600_000);
afterAll(async () => {
  await chromium?.close();
  await server?.close();
  await lib?.close();
});

describe('a browser consumer of the tarball, bundled by esbuild', () => {
  it('runs on navigator.gpu without errors, from a bundle that holds no Node module', () => {
    expect(results.error).toBeUndefined();
    expect(results.adapter).toMatch(/via browser$/);
    expect(errors, errors.join('\n')).toEqual([]);
    console.info(`bundle: ${bundle.length} bytes`);
    expect(bundle).not.toMatch(/require\(["']node:/);
  });

  judgeChecks(() => results);

  it('keeps its custom-layer model in IndexedDB and loads the same model back', () => {
    const r = results.indexedDb!;
    expect(r.bytes).toBeGreaterThan(1000);
    expect(r.testLoss[0]).toBe(r.testLoss[1]);
  });
});
