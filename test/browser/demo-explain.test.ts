// The demo's explanations in headless Chromium (SwiftShader), with small models and few steps:
// - training runs in the Web Worker: during 50 training steps the page's main thread has no task
//   longer than 100 ms (PerformanceObserver 'longtask');
// - while training goes on, strokes drawn on the pad with synthetic pointer events change the shown
//   posterior N(μ, σ²) and the reconstruction; hovering the 2-D latent plane decodes the point under
//   the pointer; the one-digit bound −L_k (k = 1 … lkMax, log axis) is drawn and tightens with k;
// - a 4-D latent gets the active-units figure and a traversal whose sliders decode, and a bar of
//   μ ± σ per unit for the drawn digit;
// - where the worker gets no WebGPU (navigator.gpu removed from its script) the page says so and
//   trains on its own thread.
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { canvasInk, longTasksSince, openPage, setup, status, stroke, waitFor } from './demo-harness';

const SMALL = 'hidden=64&batch=32&lr=0.002&notune=1';
const differ = (a: number[], b: number[]) => a.length === b.length && a.some((v, i) => Math.abs(v - b[i]!) > 1e-4);

async function setSteps(page: Page, steps: number) {
  await page.$eval('#steps', (e, n) => {
    (e as HTMLInputElement).value = String(n);
    e.dispatchEvent(new Event('change'));
  }, steps);
}

describe('demo page: training in a worker while it explains', () => {
  it('trains 50 steps in the worker with no main-thread task over 100 ms; strokes, hover and L_k answer while it trains', async () => {
    const { server, chromium } = await setup();
    const { page, errors } = await openPage(chromium.browser);
    try {
      await page.goto(`${server.url}?latent=2&${SMALL}&steps=50&autostart=1&lkMax=100`, { waitUntil: 'load' });
      const training = await waitFor(page, 'training to start', (s) => s.state === 'training' || s.state === 'done', 120_000);
      const since = await page.evaluate(() => performance.now());
      expect(training.host, training.hostNote).toBe('worker');
      const done = await waitFor(page, '50 steps', (s) => s.state === 'done', 120_000);
      const until = await page.evaluate(() => performance.now());
      const tasks = (await longTasksSince(page, since)).filter(([t]) => t <= until);
      console.info(`50 steps in the worker (${done.message}); main-thread long tasks meanwhile: ${tasks.map(([t, d]) => `${t.toFixed(0)}+${d.toFixed(0)} ms`).join(', ') || 'none'} over ${(until - since).toFixed(0)} ms`);
      expect(done.step).toBe(50);
      expect(Math.max(0, ...tasks.map(([, d]) => d)), 'no main-thread task over 100 ms while the worker trains').toBeLessThan(100);

      // Settled after the run: the one-digit bound of test digit A, −L_k falling with k.
      const bound = await waitFor(page, 'the bound at step 50', (s) => s.lkCurve?.step === 50, 60_000);
      const lk = bound.lkCurve!;
      console.info(`digit A at step 50: −ELBO ${(lk.rec + lk.kl).toFixed(2)}, −L_k ${lk.ks.map((k, i) => `${k}: ${lk.negLk[i]!.toFixed(2)}`).join(', ')}`);
      expect(lk.ks).toEqual([1, 2, 5, 10, 20, 50, 100]);
      expect(lk.digit).toBe('A');
      expect(lk.negLk.at(-1)!, '−L_100 ≤ −L_1').toBeLessThan(lk.negLk[0]!);
      expect(Math.abs(lk.negLk[0]! - (lk.rec + lk.kl)), '−L_1 estimates the −ELBO').toBeLessThan(0.05 * (lk.rec + lk.kl));
      expect((await canvasInk(page, 'bound-chart')).ink).toBeGreaterThan(0.02);

      // Train on, and draw meanwhile.
      await setSteps(page, 100_000);
      await page.click('#start');
      await waitFor(page, 'training again', (s) => s.state === 'training' && s.step > 50, 60_000);
      const drawingSince = await page.evaluate(() => performance.now());
      await stroke(page, '#pad', [[0.5, 0.15], [0.5, 0.5], [0.52, 0.85]]);
      const first = await waitFor(page, 'the first posterior', (s) => !!s.posterior && s.posterior.strokes > 0 && !!s.reconstruction, 60_000);
      const at = first.step;
      await stroke(page, '#pad', [[0.25, 0.3], [0.75, 0.3], [0.3, 0.8], [0.75, 0.8]]);
      const second = await waitFor(page, 'the posterior after the second stroke', (s) => s.posterior!.strokes > first.posterior!.strokes + 3, 60_000);
      console.info(`posterior after stroke 1: μ ${first.posterior!.mu.map((v) => v.toFixed(3))}, σ ${first.posterior!.sigma.map((v) => v.toFixed(3))} (step ${first.posterior!.step}); ` +
        `after stroke 2: μ ${second.posterior!.mu.map((v) => v.toFixed(3))} (step ${second.posterior!.step})`);
      expect(differ(first.posterior!.mu, second.posterior!.mu), 'the posterior mean moved').toBe(true);
      expect(differ(first.reconstruction!, second.reconstruction!), 'the reconstruction changed').toBe(true);
      expect(second.posterior!.sigma.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
      expect(second.posterior!.rec).toBeGreaterThan(0);
      expect(second.step, 'training went on while drawing').toBeGreaterThan(at);
      expect((await canvasInk(page, 'draw-recon')).ink).toBeGreaterThan(0.05);
      expect((await canvasInk(page, 'draw-samples')).levels).toBeGreaterThan(10);

      // Hover the latent plane: two points, two decoded images.
      const plane = (await page.$('#latent-canvas'))!;
      await plane.scrollIntoView();
      const box = (await plane.boundingBox())!;
      await page.mouse.move(box.x + 0.2 * box.width, box.y + 0.3 * box.height);
      const h1 = await waitFor(page, 'a hover', (s) => !!s.hover, 30_000);
      expect(h1.hover!.z[0]!, 'left of centre: z₁ < 0').toBeLessThan(0);
      expect(h1.hover!.z[1]!, 'above centre: z₂ > 0').toBeGreaterThan(0);
      // Through a few points to the lower right: the answer shown ends at the last one.
      await page.mouse.move(box.x + 0.8 * box.width, box.y + 0.75 * box.height, { steps: 4 });
      const h2 = await waitFor(page, 'the hover at the lower right (z₁ > 0, z₂ < 0)', (s) => !!s.hover && s.hover.z[0]! > 0 && s.hover.z[1]! < 0, 30_000);
      console.info(`hover z ${h1.hover!.z.map((v) => v.toFixed(2))} → ${h2.hover!.z.map((v) => v.toFixed(2))}`);
      expect(differ(h1.hover!.image, h2.hover!.image), 'another point, another image').toBe(true);

      const drawing = await longTasksSince(page, drawingSince);
      console.info(`main-thread long tasks while drawing and hovering during training: ${drawing.map(([t, d]) => `${t.toFixed(0)}+${d.toFixed(0)} ms`).join(', ') || 'none'}`);

      // After the strokes the bound follows the drawn digit.
      const drawn = await waitFor(page, 'the bound of the drawn digit', (s) => s.lkCurve?.digit === 'drawn', 60_000);
      expect(drawn.lkCurve!.negLk.every(Number.isFinite)).toBe(true);
      await page.click('#start');
      await waitFor(page, 'the pause', (s) => s.state === 'paused', 60_000);
      expect(errors).toEqual([]);
    } catch (e) {
      const s = await status(page).catch(() => undefined);
      throw new Error(`${(e as Error).message}\npage: ${JSON.stringify({ ...s, train: undefined, reconstruction: undefined, hover: undefined })?.slice(0, 900)}\nerrors: ${errors.join('; ')}`);
    } finally {
      await page.close();
    }
  }, 420_000);

  it('a 4-D latent: the active units, a traversal whose sliders decode, μ ± σ bars', async () => {
    const { server, chromium } = await setup();
    const { page, errors } = await openPage(chromium.browser);
    try {
      await page.goto(`${server.url}?latent=4&${SMALL}&steps=30&autostart=1&lkMax=20`, { waitUntil: 'load' });
      await waitFor(page, 'step 30', (s) => s.state === 'done', 180_000);
      const t = await waitFor(page, 'the traversal', (s) => s.traversal?.step === 30, 60_000);
      console.info(`traversal: units ${t.traversal!.units}, activity ${t.traversal!.activity.map((v) => v.toExponential(2))}`);
      expect([...t.traversal!.units].sort()).toEqual([0, 1, 2, 3]);
      expect(t.traversal!.frames).toBe(28);
      const a = t.traversal!.activity;
      expect(a.every((v, i) => i === 0 || v <= a[i - 1]!), 'sorted by activity').toBe(true);
      for (const id of ['activity', 'traversal', 'traversal-current']) expect((await canvasInk(page, id)).ink, id).toBeGreaterThan(0.02);
      expect(await page.$eval('#traversal-card', (e) => (e as HTMLElement).hidden)).toBe(false);
      expect(await page.$eval('#condition-picker', (e) => (e as HTMLElement).hidden), 'no class picker for an unconditional model').toBe(true);

      // The most active unit's slider to 2.5: that unit of the decoded z follows.
      const unit = t.traversal!.units[0]!;
      await page.$eval('#sliders input', (e) => {
        (e as HTMLInputElement).value = '2.5';
        e.dispatchEvent(new Event('input'));
      });
      const moved = await waitFor(page, 'the slider', (s) => s.traversal!.values[0] === 2.5, 30_000);
      expect(moved.traversal!.z[unit]).toBeCloseTo(2.5, 5);

      await stroke(page, '#pad', [[0.3, 0.2], [0.7, 0.2], [0.45, 0.85]]);
      const p = await waitFor(page, 'the posterior', (s) => !!s.posterior && s.posterior.mu.length === 4, 60_000);
      expect(p.posterior!.sigma.every((v) => v > 0)).toBe(true);
      expect(await page.$eval('#posterior-bars', (e) => (e as HTMLElement).hidden)).toBe(false);
      expect((await canvasInk(page, 'posterior-bars')).ink).toBeGreaterThan(0.02);
      expect(await page.$eval('#hover-box', (e) => (e as HTMLElement).hidden), 'no plane to hover').toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 360_000);

  it('trains on the page’s thread, and says so, where the worker gets no WebGPU', async () => {
    const { server, chromium } = await setup();
    const { page, errors } = await openPage(chromium.browser);
    try {
      // The worker's script, as served, first hides navigator.gpu from itself.
      await page.setRequestInterception(true);
      page.on('request', (r) => void (async () => {
        if (!/\/assets\/worker-[^/]*\.js$/.test(new URL(r.url()).pathname)) return r.continue();
        const body = await (await fetch(r.url())).text();
        await r.respond({ status: 200, contentType: 'text/javascript', body: `Object.defineProperty(WorkerNavigator.prototype, 'gpu', { get: () => undefined });\n${body}` });
      })());
      await page.goto(`${server.url}?latent=2&${SMALL}&steps=20&autostart=1&lkMax=20`, { waitUntil: 'load' });
      const done = await waitFor(page, 'step 20 on the page', (s) => s.state === 'done', 180_000);
      console.info(`fallback: ${done.hostNote}`);
      expect(done.host).toBe('main');
      expect(done.hostNote).toMatch(/the training worker got no WebGPU: WebGPU is not available in this worker/);
      expect(done.warnings.join('\n')).toMatch(/not to its Web Worker .* trains on the page’s own thread/);
      expect(await page.$eval('#banner', (e) => e.textContent ?? '')).toMatch(/page’s own thread/);
      expect(await page.$eval('#host', (e) => e.textContent)).toBe('training on the page’s thread');
      expect(done.step).toBe(20);
      expect(done.test.at(-1)!.elbo).toBeLessThan(done.test[0]!.elbo);
      expect(errors.filter((e) => !/worker/i.test(e))).toEqual([]);
    } finally {
      await page.close();
    }
  }, 300_000);
});
