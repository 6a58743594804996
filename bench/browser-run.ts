// The browser side of `npm run bench`: the benchmark page built with Vite (the tfjs wasm binaries
// beside it), served cross-origin isolated (COOP/COEP, so the wasm peers may use threads), driven in
// headless Chromium through test/browser/chromium.ts's launcher; the page's results come back.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'puppeteer-core';
import { serveStatic } from '../test/browser/static-server';
import { ROOT, log, runtimeImport, type Gate } from './project';
import type { Options } from './options';
import type { BenchFile, SuiteResults } from './results';


export const CHROMIUM_EXTRA_ARGS = [
  // Un-quantised timestamps and the full adapter description.
  '--enable-webgpu-developer-features',
  '--enable-dawn-features=allow_unsafe_apis',
];

/** Builds bench/index.html with Vite into dist/bench-page, with the tfjs wasm binaries beside it. */
async function buildPage(): Promise<string> {
  const vite = await runtimeImport<typeof import('vite')>('vite');
  const outDir = join(ROOT, 'dist/bench-page');
  log('building the benchmark page (vite)...');
  await vite.build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    base: '/',
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
      chunkSizeWarningLimit: 8192,
      // tfjs-wasm starts its pthread workers from the source text of a bundled function, which
      // minification breaks ("e is not defined" in the workers): keep the bundle unminified.
      minify: false,
      // The library's Node-only paths (Dawn's `webgpu` addon, node: modules) are never taken in a browser.
      rolldownOptions: { input: join(ROOT, 'bench/index.html'), external: ['webgpu', /^node:/] },
    } as import('vite').BuildOptions,
  });
  const wasmSrc = join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  await mkdir(join(outDir, 'tfjs-wasm'), { recursive: true });
  for (const f of await readdir(wasmSrc)) if (f.endsWith('.wasm')) await copyFile(join(wasmSrc, f), join(outDir, 'tfjs-wasm', f));
  return outDir;
}

/** The page's server: cross-origin isolated (COOP/COEP) so tfjs-wasm may use threads. */
const serve = (root: string) => serveStatic(root, {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cache-control': 'no-store',
});

/** test/browser/chromium.ts (shared with the browser tests), compiled at run time with its imports left to node_modules. */
async function loadChromiumLauncher(): Promise<typeof import('../test/browser/chromium')> {
  const esbuild = await runtimeImport<typeof import('esbuild')>('esbuild');
  const out = join(ROOT, 'dist/bench/chromium.mjs');
  await esbuild.build({
    entryPoints: [join(ROOT, 'test/browser/chromium.ts')], outfile: out, bundle: true, packages: 'external',
    platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
  });
  return runtimeImport(pathToFileURL(out).href);
}

export async function runBrowser(o: Options, gate: Gate): Promise<{ suite: SuiteResults; browser: BenchFile['browser'] }> {
  const pageDir = await buildPage();
  const server = await serve(pageDir);
  const { launchChromium } = await loadChromiumLauncher();
  const chromium = await launchChromium({ extraArgs: CHROMIUM_EXTRA_ARGS });
  let page: Page | undefined;
  try {
    const version = await chromium.browser.version();
    log(`browser: ${chromium.executablePath} (${version}); page server ${server.url}`);
    page = await chromium.browser.newPage();
    await page.exposeFunction('__benchGateBefore', (what: string) => gate.before(what));
    await page.exposeFunction('__benchGateAfter', (what: string) => gate.after(what));
    const problems: string[] = [];
    page.on('console', (m) => {
      const text = m.text();
      if (text.startsWith('[bench] ')) log(text.slice(8));
      else if (m.type() === 'error' || m.type() === 'warn') log(`  (page ${m.type()}: ${text.slice(0, 300)})`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e instanceof Error ? e.message : String(e)}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    const query = new URLSearchParams({ quick: o.quick ? '1' : '0', peers: o.peers.join(',') || 'none' });
    if (o.only) query.set('only', o.only.join(','));
    if (o.batches) query.set('batches', o.batches.join(','));
    await page.goto(`${server.url}bench/index.html?${query}`, { waitUntil: 'load' });
    const userAgent = await page.evaluate(() => navigator.userAgent);
    // Poll from here: one long in-page wait would hit Puppeteer's protocol timeout.
    const deadline = performance.now() + (o.quick ? 20 : 120) * 60_000;
    while (!(await page.evaluate(() => window.__bench !== undefined))) {
      if (performance.now() > deadline) throw new Error(`the benchmark page did not finish in ${o.quick ? 20 : 120} minutes`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    const outcome = await page.evaluate(() => window.__bench!);
    if (outcome.state !== 'done' || !outcome.results) throw new Error(`the benchmark page failed: ${outcome.error}\n${problems.join('\n')}`);
    outcome.results.errors.push(...problems);
    return { suite: outcome.results, browser: { version, userAgent, args: CHROMIUM_EXTRA_ARGS } };
  } finally {
    await page?.close().catch(() => {});
    await chromium.close();
    await server.close();
  }
}
