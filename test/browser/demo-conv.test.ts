// The demo's model picker in headless Chromium (SwiftShader): choosing "Convolutional" makes the conv
// preset (the page's model line names its conv layers), and Start trains it on the GPU in the page
// to a small step budget with finite losses, the test −ELBO reported before and after, and falling.
// Kept short (batch 16, 12 steps): a conv step on SwiftShader costs far more than an MLP step.
import { describe, expect, it } from 'vitest';
import { openPage, setup, status, waitFor } from './demo-harness';

describe('demo page: the conv model picker', () => {
  it('picks conv, builds the conv model and trains it a few steps in the page', async () => {
    const { server, chromium } = await setup();
    const { page, errors } = await openPage(chromium.browser);
    try {
      await page.goto(`${server.url}?batch=16&lr=0.002&steps=12`, { waitUntil: 'load' });
      const mlp = await waitFor(page, 'the first (MLP) model', (s) => s.state === 'ready' && !s.busy && s.test.length === 1, 90_000);
      expect(mlp.model).not.toMatch(/conv/i);
      await page.select('#arch', 'conv');
      const conv = await waitFor(page, 'the conv model', (s) => /conv/i.test(s.model) && s.state === 'ready' && !s.busy && s.test.length === 1, 120_000);
      console.info(`conv model: ${conv.model}; adapter ${conv.adapter}; test −ELBO at init ${conv.test[0]!.elbo.toFixed(2)}`);
      expect(conv.model).toMatch(/conv2d/);
      expect(conv.model).toMatch(/conv_transpose2d/);
      expect(conv.test[0]!.step).toBe(0);
      expect(conv.test[0]!.elbo, 'an untrained Bernoulli VAE costs about 784 ln 2 = 543 nats').toBeGreaterThan(400);
      await page.click('#start');
      const done = await waitFor(page, 'the conv model at its step budget', (s) => s.state === 'done' && !s.busy, 240_000);
      console.info(`done: ${done.message}; ${done.stepsPerSecond.toFixed(2)} steps/s; test −ELBO ${done.test.map((p) => `${p.step}: ${p.elbo.toFixed(2)}`).join(', ')}; ` +
        `train ${done.train.map((p) => `${p.step}: ${p.elbo.toFixed(2)}`).join(', ')}`);
      expect(done.step).toBe(12);
      expect(done.model).toBe(conv.model);
      expect(done.batch).toBe(16);
      expect(done.test.at(-1)!.step).toBe(12);
      for (const p of [...done.test, ...done.train]) expect(Number.isFinite(p.elbo) && Number.isFinite(p.rec) && p.kl >= 0).toBe(true);
      expect(done.train.length).toBeGreaterThan(0);
      expect(done.test.at(-1)!.elbo, 'test −ELBO fell over 12 steps').toBeLessThan(done.test[0]!.elbo);
      expect(Number(await page.$eval('#elbo', (e) => e.textContent ?? ''))).toBeCloseTo(done.test.at(-1)!.elbo, 2);
      expect(errors).toEqual([]);
    } catch (e) {
      const s = await status(page).catch(() => undefined);
      throw new Error(`${(e as Error).message}\npage: ${JSON.stringify(s)?.slice(0, 600)}\nerrors: ${errors.join('; ')}`);
    } finally {
      await page.close();
    }
  }, 480_000);
});
