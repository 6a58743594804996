// The browser path: a smoke subset of the kernels (test/browser/kernels-page.ts) run in headless
// Chromium on WebGPU (SwiftShader), served by the project's Vite dev server, against the CPU twins.
// Without Chromium this fails with what to install; it never skips.
import { afterAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { launchChromium, startViteServer, type DevServer, type LaunchedChromium } from './chromium';
import type { BrowserResults } from './kernels-page';

// A quiet machine runs each page in 30-60 s; a loaded one (load average 13 on 2 cores) took 91 s.
const PAGE_TIMEOUT_MS = 240_000;

describe('kernels in headless Chromium', () => {
  let server: DevServer | undefined;
  let chromium: LaunchedChromium | undefined;
  let page: Page | undefined;
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];

  afterAll(async () => {
    await page?.close().catch(() => {});
    await chromium?.close();
    await server?.close();
  });

  /** Loads the page with one suite of checks and judges its results. */
  async function runSuite(suite: 'core' | 'conv', checks: number): Promise<void> {
    // Set up inside the test, not in beforeAll: a missing Chromium must fail this test, not skip it.
    if (!chromium) chromium = await launchChromium();
    if (!server) server = await startViteServer();
    console.info(`browser: ${chromium.executablePath} (${await chromium.browser.version()}), server ${server.url}`);
    await page?.close();
    consoleErrors.length = 0;
    pageErrors.length = 0;
    page = await chromium.browser.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(`${msg.text()} (${msg.location().url ?? '?'})`);
    });
    page.on('pageerror', (e) => pageErrors.push(e instanceof Error ? e.message : String(e)));
    page.on('requestfailed', (r) => consoleErrors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));

    const started = performance.now();
    await page.goto(new URL(`test/browser/kernels.html?suite=${suite}`, server.url).href, { waitUntil: 'load' });
    await page.waitForSelector('body[data-state="done"]', { timeout: PAGE_TIMEOUT_MS });
    const results = (await page.evaluate(() => window.__results)) as BrowserResults | undefined;
    console.info(`page (${suite}) finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    expect(results, 'the page set no window.__results').toBeDefined();
    const r = results!;
    console.info(`adapter: ${r.adapter}`);
    for (const c of r.checks) console.info(`${c.ok ? 'ok  ' : 'FAIL'} ${c.detail ?? `${c.name}: worst |Δ| ${c.worstAbs}`}`);
    expect(r.errors, 'errors reported by the page').toEqual([]);
    expect(pageErrors, 'uncaught page errors').toEqual([]);
    expect(consoleErrors, 'console errors').toEqual([]);
    expect(r.adapter, 'adapter description').not.toBe('');
    expect(r.checks.length, 'number of checks').toBe(checks);
    expect(r.checks.filter((c) => !c.ok).map((c) => c.detail ?? c.name), 'checks out of tolerance').toEqual([]);
  }

  it('runs matmul, bias_grad, reparameterize (one sample and k with the weighted backward), elbo, adam, iwae_objective and the learned-scale likelihoods within tolerance of the CPU twins', () => runSuite('core', 50), 300_000);

  it('runs the conv kernels (forward, input and weight gradients, a layer backward) within tolerance of the CPU twins', () => runSuite('conv', 7), 300_000);
});
