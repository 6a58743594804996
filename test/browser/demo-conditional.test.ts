// The demo page with a conditional model, in headless Chromium (SwiftShader), small and short:
// ?conditional=1 trains a 2-D conditional MLP on MNIST's labels for 20 steps; the class picker shows
// one entry per class; picking another class decodes the hovered point and the prior samples again,
// differently; a stroke on the pad is asked about with the picked class (posterior and the drawn
// digit's bound), and a new pick asks again. Its saved checkpoint, loaded on a fresh page of the
// default (unconditional) settings, comes back conditional with the box ticked and the picker shown.
// Then a zip of images without labels: the conditional setting is switched off and disabled with
// its reason, and the model made is unconditional.
import { describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { PNG } from 'pngjs';
import { zipSync } from 'fflate';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPage, saveFromPage, setup, status, stroke, waitFor, type DemoStatus } from './demo-harness';

type CondStatus = DemoStatus & {
  condition: { classes: number; picked: number } | null;
  hover: (DemoStatus['hover'] & { label: number | null }) | null;
  posterior: (DemoStatus['posterior'] & { label: number | null }) | null;
  lkCurve: (DemoStatus['lkCurve'] & { label: number | null }) | null;
  data: { kind: string };
};
const cond = (page: Page) => status(page) as Promise<CondStatus>;
const until = (page: Page, what: string, ok: (s: CondStatus) => boolean, ms: number) => waitFor(page, what, (s) => ok(s as CondStatus), ms) as Promise<CondStatus>;
const differ = (a: number[], b: number[], by = 1e-3) => a.length === b.length && a.some((v, i) => Math.abs(v - b[i]!) > by);

/** The grey levels of a canvas, summed per 8×8 block: a fingerprint of what it shows. */
const fingerprint = (page: Page, id: string) => page.evaluate((id) => {
  const c = document.getElementById(id) as HTMLCanvasElement;
  const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
  const out = new Array<number>(Math.ceil(c.width / 8) * Math.ceil(c.height / 8)).fill(0);
  for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) out[Math.floor(y / 8) * Math.ceil(c.width / 8) + Math.floor(x / 8)] += d[4 * (y * c.width + x)]!;
  return out;
}, id);

async function pick(page: Page, c: number) {
  await page.select('#condition', String(c));
}

describe('demo page: a conditional model and its class picker', () => {
  it('trains on the labels; the picked class changes the hover, the samples and the drawn digit’s posterior; unlabelled images turn it off', async () => {
    const { server, chromium } = await setup();
    const { page, errors } = await openPage(chromium.browser);
    const dir = await mkdtemp(join(tmpdir(), 'webgpu-vae-cond-'));
    try {
      await page.goto(`${server.url}?latent=2&hidden=32&batch=32&lr=0.005&conditional=1&steps=20&autostart=1&notune=1&lkMax=20`, { waitUntil: 'load' });
      const done = await until(page, '20 steps', (s) => s.state === 'done' && !s.busy, 150_000);
      expect(done.model).toMatch(/conditional on 10 classes/);
      expect(done.condition).toEqual({ classes: 10, picked: 0 });
      expect(await page.$eval('#conditional', (e) => (e as HTMLInputElement).checked)).toBe(true);
      expect(await page.evaluate(() => location.search)).toMatch(/conditional=1/);
      expect(await page.$eval('#condition-picker', (e) => (e as HTMLElement).hidden)).toBe(false);
      expect(await page.$$eval('#condition option', (o) => o.map((e) => (e as HTMLOptionElement).value))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

      // Hover a point with class 0, then pick 7: the same z decodes again, as another image.
      const plane = (await page.$('#latent-canvas'))!;
      await plane.scrollIntoView();
      const box = (await plane.boundingBox())!;
      await page.mouse.move(box.x + 0.4 * box.width, box.y + 0.55 * box.height);
      const h0 = await until(page, 'a hover with class 0', (s) => s.hover?.label === 0, 30_000);
      const samples0 = await fingerprint(page, 'samples');
      await pick(page, 7);
      const h7 = await until(page, 'the hover again with class 7', (s) => s.hover?.label === 7, 30_000);
      expect(h7.condition!.picked).toBe(7);
      expect(h7.hover!.z).toEqual(h0.hover!.z);
      expect(differ(h0.hover!.image, h7.hover!.image), 'one z, two classes, two images').toBe(true);
      const t0 = performance.now();
      let samples7 = await fingerprint(page, 'samples');
      while (!differ(samples0, samples7, 8) && performance.now() - t0 < 30_000) {
        await new Promise((r) => setTimeout(r, 250));
        samples7 = await fingerprint(page, 'samples');
      }
      expect(differ(samples0, samples7, 8), 'the prior samples are redrawn for class 7').toBe(true);

      // A stroke with class 7 picked: its posterior and bound are asked with 7; picking 2 asks again.
      await stroke(page, '#pad', [[0.25, 0.2], [0.75, 0.2], [0.45, 0.85]]);
      const p7 = await until(page, 'the drawn digit’s posterior with class 7', (s) => s.posterior?.label === 7 && s.posterior.strokes > 0 && s.lkCurve?.digit === 'drawn' && s.lkCurve.label === 7, 60_000);
      await pick(page, 2);
      const p2 = await until(page, 'the drawn digit’s posterior with class 2', (s) => s.posterior?.label === 2 && s.lkCurve?.label === 2, 60_000);
      console.info(`drawn digit: μ ${p7.posterior!.mu.map((v) => v.toFixed(3))} with class 7, ${p2.posterior!.mu.map((v) => v.toFixed(3))} with class 2; ` +
        `−ELBO ${(p7.lkCurve!.rec + p7.lkCurve!.kl).toFixed(2)} / ${(p2.lkCurve!.rec + p2.lkCurve!.kl).toFixed(2)}`);
      expect(differ(p7.posterior!.mu, p2.posterior!.mu, 1e-5), 'the posterior depends on the class').toBe(true);
      expect(differ(p7.reconstruction!, p2.reconstruction!), 'and so does its reconstruction').toBe(true);
      expect(p2.lkCurve!.negLk.every(Number.isFinite)).toBe(true);

      // Save, and load it on a fresh page of the default settings: conditional again.
      const file = await saveFromPage(chromium.browser, page, join(dir, 'save'));
      await page.goto(`${server.url}?hidden=32&batch=32&notune=1&lkMax=20`, { waitUntil: 'load' });
      await until(page, 'the default model', (s) => s.state === 'ready' && !s.busy && s.test.length === 1, 90_000);
      expect((await cond(page)).condition).toBeNull();
      await (await page.$('input#load'))!.uploadFile(file);
      const back = await until(page, 'the conditional checkpoint', (s) => s.loaded?.name === 'model.safetensors' && !s.busy && /Test −ELBO/.test(s.message), 90_000);
      expect(back.model).toMatch(/conditional on 10 classes/);
      expect(back.loaded!.step).toBe(20);
      expect(back.condition).toEqual({ classes: 10, picked: 0 });
      expect(await page.$eval('#conditional', (e) => (e as HTMLInputElement).checked)).toBe(true);
      expect(await page.evaluate(() => location.search)).toMatch(/conditional=1/);
      expect(await page.$eval('#condition-picker', (e) => (e as HTMLElement).hidden)).toBe(false);

      // Images without labels: the setting goes off, disabled, with its reason.
      const files: Record<string, Uint8Array> = {};
      for (let i = 0; i < 12; i++) {
        const png = new PNG({ width: 8, height: 8 });
        for (let q = 0; q < 64; q++) png.data.set([(q * 13 + i * 29) % 256, (q * 7) % 256, (i * 41) % 256, 255], 4 * q);
        files[`flat/p${i}.png`] = new Uint8Array(PNG.sync.write(png));
      }
      const zip = join(dir, 'flat.zip');
      await writeFile(zip, zipSync(files));
      await (await page.$('input#pick-files'))!.uploadFile(zip);
      const own = await until(page, 'a model of the unlabelled images', (s) => s.data.kind === 'own' && s.state === 'ready' && !s.busy && s.test.length === 1, 90_000);
      expect(own.model).not.toMatch(/conditional/);
      expect(own.condition).toBeNull();
      expect(await page.$eval('#conditional', (e) => [(e as HTMLInputElement).disabled, (e as HTMLInputElement).checked])).toEqual([true, false]);
      expect(await page.$eval('#conditional-note', (e) => [(e as HTMLElement).hidden, e.textContent])).toEqual([false, expect.stringMatching(/needs labelled images: these have no labels/)]);
      expect(await page.$eval('#condition-picker', (e) => (e as HTMLElement).hidden)).toBe(true);
      expect(errors).toEqual([]);
    } catch (e) {
      const s = await cond(page).catch(() => undefined);
      throw new Error(`${(e as Error).message}\npage: ${JSON.stringify({ ...s, train: undefined, reconstruction: undefined, hover: s?.hover && { ...s.hover, image: undefined } })?.slice(0, 1200)}\nerrors: ${errors.join('; ')}`);
    } finally {
      await page.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
