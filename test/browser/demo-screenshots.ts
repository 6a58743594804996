// The demo's screenshots in docs/ (the README shows them), taken in headless Chromium on SwiftShader
// from the built site: the page's first screen after a short run of a 2-D latent model with a digit
// drawn and a point hovered (demo.png), its explanations close up (demo-explain.png: the latent plane with the drawn
// digit's posterior ellipses, the pad, the posterior and the one-digit bound) and the traversal of an
// 8-D model (demo-traversal.png), and the page trained on a zip of colour images (demo-own-data.png:
// 800 tinted digits, 32×32×3, src/data/tinted-digits.ts, in class folders), and a conditional 2-D
// model with its class picker on 7 (demo-conditional.png: the samples and the manifold of sevens,
// the reconstructions with their own labels). Not a test: run it by hand after changing how the
// page looks (`… own-data` or `… conditional` takes that one alone):
//   npx esbuild test/browser/demo-screenshots.ts --bundle --platform=node --format=esm --packages=external \
//     --outfile=dist/demo-screenshots.mjs && node dist/demo-screenshots.mjs [own-data | conditional]
// Each PNG is kept under 300 kB (it says so, and fails, when one is not).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { PNG } from 'pngjs';
import { zipSync } from 'fflate';
import { launchChromium } from './chromium';
import { loadEmbeddedMnist } from '../../src/data/mnist';
import { tintDigits } from '../../src/data/tinted-digits';
import { serveStatic } from './static-server';

// Run from the repository's root (the bundle lives elsewhere, so its own path says nothing).
const PROJECT_ROOT = process.cwd();
if (!existsSync(join(PROJECT_ROOT, 'demo/vite.config.ts'))) throw new Error(`run this from the repository's root (no demo/vite.config.ts in ${PROJECT_ROOT})`);
const DOCS = join(PROJECT_ROOT, 'docs');
const MAX_BYTES = 300_000;

type Snapshot = { state: string; busy: boolean; model: string; step: number; message: string; posterior: unknown; hover: unknown; lkCurve: { step: number; digit: string } | null; traversal: { step: number } | null };
const snap = (page: Page) => page.evaluate(() => (window as unknown as { __demo: Snapshot }).__demo);

async function until(page: Page, what: string, ok: (s: Snapshot) => boolean, ms: number): Promise<Snapshot> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await snap(page);
    if (ok(s)) return s;
    if (s.state === 'error' || Date.now() > end) throw new Error(`waiting for ${what}: state ${s.state} at step ${s.step}: ${s.message}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function drawSeven(page: Page) {
  const pad = (await page.$('#pad'))!;
  await pad.scrollIntoView();
  const b = (await pad.boundingBox())!;
  const at = (u: number, v: number) => [b.x + u * b.width, b.y + v * b.height] as const;
  await page.mouse.move(...at(0.22, 0.22));
  await page.mouse.down();
  await page.mouse.move(...at(0.78, 0.2), { steps: 12 });
  await page.mouse.move(...at(0.45, 0.85), { steps: 16 });
  await page.mouse.up();
}

/** The first screen, one element, or the box from the first element's top to the last one's bottom. */
async function shoot(page: Page, name: string, selector?: string | [string, string]) {
  const path = join(DOCS, name);
  if (typeof selector === 'string') await (await page.$(selector))!.screenshot({ path });
  else if (selector) {
    const [a, b] = await Promise.all(selector.map(async (q) => (await page.$(q))!.evaluate((e) => {
      const r = e.getBoundingClientRect();
      return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
    })));
    await page.screenshot({ path, captureBeyondViewport: true, clip: { x: a!.x - 8, y: a!.y - 8, width: Math.max(a!.width, b!.width) + 16, height: b!.y + b!.height - a!.y + 16 } });
  } else await page.screenshot({ path });
  const bytes = (await stat(path)).size;
  console.info(`${path}: ${(bytes / 1000).toFixed(0)} kB`);
  if (bytes > MAX_BYTES) throw new Error(`${name} is ${bytes} bytes, more than ${MAX_BYTES}: take a smaller view`);
}

/** 800 tinted digits as PNGs in class folders, zipped. */
async function tintedZip(path: string) {
  const set = tintDigits((await loadEmbeddedMnist()).train, 800, 0);
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < set.count; i++) {
    const p = new PNG({ width: 32, height: 32 });
    for (let q = 0; q < 1024; q++) {
      for (let c = 0; c < 3; c++) p.data[4 * q + c] = set.pixels[i * 3072 + 3 * q + c]!;
      p.data[4 * q + 3] = 255;
    }
    files[`tinted/${set.labels![i]}/${String(i).padStart(4, '0')}.png`] = new Uint8Array(PNG.sync.write(p));
  }
  await writeFile(path, zipSync(files));
}

const only = process.argv[2];
if (only !== undefined && only !== 'own-data' && only !== 'conditional') throw new Error(`unknown argument ${only}: expected own-data or conditional`);
const site = await mkdtemp(join(tmpdir(), 'webgpu-vae-shots-'));
execFileSync(process.execPath, [join(PROJECT_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'demo/vite.config.ts', '--outDir', site, '--emptyOutDir', '--logLevel', 'warn'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
const server = await serveStatic(site);
const chromium = await launchChromium();
try {
  const page = await chromium.browser.newPage();
  await page.setViewport({ width: 1200, height: 820, deviceScaleFactor: 1 });
  page.on('pageerror', (e) => console.error(`page error: ${String(e)}`));

  if (only === undefined) await digitShots(page);
  if (only === undefined || only === 'conditional') await conditionalShot(page);
  if (only === undefined || only === 'own-data') await ownDataShot(page);
} finally {
  await chromium.close();
  await server.close();
  await rm(site, { recursive: true, force: true });
}

async function conditionalShot(page: Page) {
  // A conditional 2-D model trained briefly, class 7 picked: every sample and the manifold are sevens.
  await page.goto(`${server.url}?latent=2&hidden=256&batch=64&lr=0.002&conditional=1&steps=1000&autostart=1&notune=1&lkMax=100`, { waitUntil: 'load' });
  await until(page, 'the conditional run', (s) => s.state === 'done', 600_000);
  await page.select('#condition', '7');
  await new Promise((r) => setTimeout(r, 3000));
  await page.evaluate(() => window.scrollTo(0, 0));
  await shoot(page, 'demo-conditional.png', ['#condition-picker', '.pictures']);
}

async function ownDataShot(page: Page) {
  // The user's own images: a zip of colour digits picked, an MLP (the conv preset is what the page
  // picks for 32×32; an MLP trains far faster on a software adapter) trained for a while.
  const zip = join(site, 'tinted.zip');
  await tintedZip(zip);
  await page.goto(`${server.url}?latent=16&hidden=256&batch=64&lr=0.002&steps=1200&notune=1&lkMax=100`, { waitUntil: 'load' });
  await until(page, 'the MNIST model', (s) => s.state === 'ready' && !s.busy, 120_000);
  await (await page.$('input#pick-files'))!.uploadFile(zip);
  await until(page, 'the conv model of the colour digits', (s) => s.state === 'ready' && !s.busy && /conv2d/.test(s.model), 600_000);
  await page.select('#arch', 'mlp');
  await until(page, 'the MLP of the colour digits', (s) => s.state === 'ready' && !s.busy && /^3072-/.test(s.model), 120_000);
  await page.click('#start');
  await until(page, 'the colour run', (s) => s.state === 'done', 900_000);
  await new Promise((r) => setTimeout(r, 1500));
  // The data line beside the status and the pictures: the charts and metrics are demo.png's.
  await page.evaluate(() => {
    for (const q of ['.charts', '.metrics']) (document.querySelector(q) as HTMLElement).style.display = 'none';
    window.scrollTo(0, 0);
  });
  await shoot(page, 'demo-own-data.png', ['#app', '.pictures']);
}

async function digitShots(page: Page) {
  // A 2-D latent trained briefly; the scatter of the test digits, a drawn 7 and a hovered point.
  await page.goto(`${server.url}?latent=2&hidden=256&batch=64&lr=0.002&steps=1500&autostart=1&notune=1`, { waitUntil: 'load' });
  await until(page, 'the run', (s) => s.state === 'done', 600_000);
  await page.click('#scatter');
  await drawSeven(page);
  await until(page, 'the posterior and the bound of the drawn digit', (s) => !!s.posterior && s.lkCurve?.digit === 'drawn', 120_000);
  const plane = (await page.$('#latent-canvas'))!;
  await plane.scrollIntoView();
  const b = (await plane.boundingBox())!;
  await page.mouse.move(b.x + 0.62 * b.width, b.y + 0.4 * b.height);
  await until(page, 'a hovered point', (s) => !!s.hover, 60_000);
  await new Promise((r) => setTimeout(r, 800));
  await page.evaluate(() => window.scrollTo(0, 0));
  await shoot(page, 'demo.png');
  // The pictures row (the latent plane with the drawn digit's ellipses and the hovered point) down
  // to the explanations, as the page lays them out.
  await shoot(page, 'demo-explain.png', ['.pictures', '.explain']);

  // An 8-D latent: the active units and the traversal.
  await page.goto(`${server.url}?latent=8&hidden=256&batch=64&lr=0.002&steps=1500&autostart=1&notune=1&lkMax=200`, { waitUntil: 'load' });
  await until(page, 'the 8-D run', (s) => s.state === 'done', 600_000);
  await until(page, 'the traversal', (s) => s.traversal?.step === 1500, 60_000);
  await drawSeven(page);
  await until(page, 'the drawn digit', (s) => !!s.posterior, 60_000);
  await new Promise((r) => setTimeout(r, 1500));
  await shoot(page, 'demo-traversal.png', '#traversal-card');
  await shoot(page, 'demo-posterior-bars.png', '.explain');
}
