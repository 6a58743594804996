// The library as a consumer gets it: `npm pack` (which builds dist/ first), install the tarball
// into a fresh project beside `webgpu`, and run examples/node there: a few training steps on Dawn,
// a finite loss, and a checkpoint that reloads to the same test −ELBO.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../browser/chromium';
import { serveStatic } from '../browser/static-server';

const run = promisify(execFile);
let dir: string;
let tarball: string;

/** A consumer project: the example's files, its webgpu-vae dependency pointed at the tarball, installed. */
async function consumer(example: string, files: string[]): Promise<string> {
  const app = join(dir, example);
  await run('mkdir', ['-p', app]);
  const pkg = JSON.parse(await readFile(`examples/${example}/package.json`, 'utf8'));
  pkg.dependencies['webgpu-vae'] = `file:${tarball}`;
  await writeFile(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
  for (const f of files) await copyFile(`examples/${example}/${f}`, join(app, f));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: app, timeout: 300_000, maxBuffer: 1 << 26 });
  return app;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-consumer-'));
  // dist/lib is built by test/global-setup.ts; pack without lifecycle scripts so stdout is npm's JSON alone.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { maxBuffer: 1 << 26, timeout: 180_000 });
  const info = JSON.parse(stdout)[0];
  const files: string[] = info.files.map((f: { path: string }) => f.path);
  expect(files).toContain('dist/lib/index.js');
  expect(files).toContain('dist/lib/types/index.d.ts');
  expect(files).toContain('dist/lib/mnist.bin');
  expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);
  tarball = join(dir, info.filename);
}, 240_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('packed library', () => {
  it('installs from its tarball and trains in a Node consumer project', async () => {
    const app = await consumer('node', ['index.mjs']);

    const out = await run('node', ['index.mjs', '20'], { cwd: app, timeout: 180_000 });
    const result = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
    console.info(`consumer run: ${out.stderr.trim().split('\n').filter((l) => l.startsWith('adapter')).join('')} ${JSON.stringify(result)}`);
    expect(result.steps).toBe(20);
    for (const k of ['loss', 'rec', 'kl', 'testNegElbo']) expect(Number.isFinite(result[k]), k).toBe(true);
    expect(result.loss).toBeGreaterThan(0);
    expect(result.reloadedTestNegElbo).toBe(result.testNegElbo);
    // It really came from the tarball, not this checkout.
    expect(resolve(app, 'node_modules/webgpu-vae')).not.toBe(resolve('.'));
  });

  it('builds a browser consumer to a static site that trains in headless Chromium', async () => {
    const app = await consumer('browser', ['index.html', 'main.js', 'vite.config.js']);
    await run('npx', ['vite', 'build'], { cwd: app, timeout: 180_000 });
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
      console.info(`browser consumer: ${JSON.stringify(result)}`);
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
