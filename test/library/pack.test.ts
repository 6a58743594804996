// The packed library: what the tarball holds (no data set, no sources), its size and dependencies,
// exports that resolve to files it ships, `sideEffects: false` true of its entries; and examples/node
// and examples/browser installed from the tarball alone, trained in Node on Dawn and in headless Chromium.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../browser/chromium';
import { serveStatic } from '../browser/static-server';
import { installExample, packLibrary, run, type PackedLibrary } from './tarball';

let lib: PackedLibrary;
beforeAll(async () => {
  lib = await packLibrary();
}, 240_000);
afterAll(async () => {
  await lib?.close();
});

describe('the tarball', () => {
  it('holds the built library, its types and docs, and no data set or sources', () => {
    const files = lib.files.map((f) => f.path);
    for (const f of ['dist/lib/index.js', 'dist/lib/mnist.js', 'dist/lib/types/index.d.ts', 'dist/lib/types/data/mnist.d.ts', 'docs/API.md', 'README.md']) expect(files).toContain(f);
    expect(files.filter((f) => f.endsWith('.bin'))).toEqual([]);
    expect(files.filter((f) => /^(src|test|demo|bench|examples|scripts)\//.test(f))).toEqual([]);
    // Declarations only for what the entries reach (the CLI's modules stay out).
    expect(files.filter((f) => f.startsWith('dist/lib/types/cli/'))).toEqual([]);
  });

  it('is under 1 MB', () => {
    const largest = [...lib.files].sort((a, b) => b.size - a.size).slice(0, 3).map((f) => `${f.path} ${f.size}`).join(', ');
    console.info(`tarball: ${lib.size} bytes (gzip), ${lib.unpackedSize} unpacked, ${lib.files.length} files; largest: ${largest}`);
    expect(lib.size).toBeLessThan(1_000_000);
  });

  it('depends at run time on @webgpu/types and fflate (the zip reader) alone; webgpu and mnist are optional peers', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8'));
    console.info(`dependencies: ${JSON.stringify(pkg.dependencies)}; optional peers: ${JSON.stringify(pkg.peerDependencies)}`);
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@webgpu/types', 'fflate']);
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['mnist', 'webgpu']);
    for (const name of ['mnist', 'webgpu']) expect(pkg.peerDependenciesMeta[name]).toEqual({ optional: true });
    // The core entry never names the data set's or the CLI's packages.
    const core = await readFile('dist/lib/index.js', 'utf8');
    expect(core).not.toMatch(/['"](mnist|pngjs)(\/[^'"]*)?['"]/);
  });

  it('ships every file its exports name', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8'));
    const files = new Set(lib.files.map((f) => f.path));
    const targets = Object.values(pkg.exports as Record<string, string | Record<string, string>>).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t)));
    for (const t of [...targets, pkg.main, pkg.types]) expect(files.has(t.replace(/^\.\//, '')), t).toBe(true);
  });

  it('has entries whose import changes nothing (sideEffects: false is true of them)', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8'));
    expect(pkg.sideEffects).toBe(false);
    // A fresh Node: the globals, the environment and the event loop's resources before and after importing both entries.
    const script = `
      const snap = () => ({ globals: Object.getOwnPropertyNames(globalThis).sort(), env: JSON.stringify(process.env), resources: process.getActiveResourcesInfo() });
      const before = snap();
      const core = await import(${JSON.stringify(resolve('dist/lib/index.js'))});
      const mnist = await import(${JSON.stringify(resolve('dist/lib/mnist.js'))});
      // The module loader's own file reads close on the next turns.
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
      const after = snap();
      console.log(JSON.stringify({ before, after, exports: Object.keys(core).length + Object.keys(mnist).length }));`;
    const { stdout } = await run('node', ['--input-type=module', '-e', script], { timeout: 60_000 });
    const { before, after, exports } = JSON.parse(stdout);
    expect(exports).toBeGreaterThan(50);
    expect(after.globals).toEqual(before.globals);
    expect(after.env).toBe(before.env);
    expect(after.resources).toEqual(before.resources);
  });
});

describe('the examples, installed from the tarball', () => {
  it('examples/node trains in a Node project', async () => {
    const app = await installExample(lib, 'node', ['index.mjs']);
    const out = await run('node', ['index.mjs', '20'], { cwd: app, timeout: 180_000 });
    const result = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
    console.info(`node example: ${out.stderr.trim().split('\n').filter((l) => l.startsWith('adapter')).join('')} ${JSON.stringify(result)}`);
    expect(result.steps).toBe(20);
    for (const k of ['loss', 'rec', 'kl', 'testNegElbo']) expect(Number.isFinite(result[k]), k).toBe(true);
    expect(result.loss).toBeGreaterThan(0);
    expect(result.reloadedTestNegElbo).toBe(result.testNegElbo);
    // It really came from the tarball, not this checkout.
    expect(resolve(app, 'node_modules/webgpu-vae')).not.toBe(resolve('.'));
  });

  it('examples/browser builds (its data made by its prebuild) to a static site that trains in headless Chromium', async () => {
    const app = await installExample(lib, 'browser', ['index.html', 'main.js', 'make-mnist.mjs', 'vite.config.js']);
    await run('npm', ['run', 'build'], { cwd: app, timeout: 180_000 });
    const server = await serveStatic(join(app, 'dist'));
    const browser = await launchChromium();
    try {
      const page = await browser.browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${server.url}?steps=40`);
      await page.waitForFunction(() => document.body.dataset.state === 'done' || document.body.dataset.state === 'error', { timeout: 150_000 });
      const result = await page.evaluate(() => (window as unknown as { __result: Record<string, unknown> }).__result);
      console.info(`browser example: ${JSON.stringify(result)}`);
      expect(result.error).toBeUndefined();
      expect(result.steps).toBe(40);
      expect(Number(result.after)).toBeLessThan(Number(result.before));
      expect(errors, errors.join('\n')).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
