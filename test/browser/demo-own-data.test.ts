// The demo page on the user's own images, in headless Chromium (SwiftShader): 30 small colour PNGs
// made here (12×10×3, red-heavy so that a trained decoder's means have R ≠ G) are picked as a zip
// (the file input), read and split 27 / 3, the preset that fits picked (mlp: 10 is no multiple of
// 4), a model made for them, trained a few steps in the worker, and its reconstructions and samples
// drawn in colour; then loose files of two sizes and a text file are dropped on the page (a
// synthetic drop with a DataTransfer built in the page): the majority size is kept and the banner
// names the odd and the unreadable file; "Use MNIST" returns to the digits.
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { zipSync } from 'fflate';
import type { Page } from 'puppeteer-core';
import { longTasksSince, openPage, setup, status, waitFor, type DemoStatus } from './demo-harness';

type OwnStatus = DemoStatus & { data: { kind: string; count?: number; shape?: string; train?: number; test?: number; preset?: string; problems?: string[] } };
const own = (page: Page) => status(page) as Promise<OwnStatus>;

/** A seeded h×w colour picture: a red-heavy background with a green-blue square at a place given by i. */
function picture(i: number, w: number, h: number): Uint8Array {
  const p = new PNG({ width: w, height: h });
  const x0 = i % (w - 4), y0 = (i * 7) % (h - 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = x >= x0 && x < x0 + 4 && y >= y0 && y < y0 + 4, o = 4 * (y * w + x);
      p.data[o] = inside ? 30 : 200 + ((x * 5 + i) % 50);
      p.data[o + 1] = inside ? 180 : 40 + ((y * 3) % 20);
      p.data[o + 2] = inside ? 220 : 60;
      p.data[o + 3] = 255;
    }
  }
  return new Uint8Array(PNG.sync.write(p));
}

/** Pixels of a canvas whose red and green differ by more than 16 levels, as a fraction. */
const colourShare = (page: Page, id: string) => page.evaluate((id) => {
  const c = document.getElementById(id) as HTMLCanvasElement;
  const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - d[i + 1]!) > 16) n++;
  return n / (d.length / 4);
}, id);

const ready = (s: DemoStatus) => s.state === 'ready' && !s.busy && s.test.length === 1;

describe('demo page: the user’s own images', () => {
  it('reads a zip of colour PNGs, trains on them and draws colour; a drop of mixed sizes names the odd files', async () => {
    const { server, chromium } = await setup();
    const { page, errors } = await openPage(chromium.browser);
    const dir = await mkdtemp(join(tmpdir(), 'webgpu-vae-own-data-'));
    try {
      const W = 10, H = 12;
      const files: Record<string, Uint8Array> = {};
      for (let i = 0; i < 30; i++) files[`tiles/t${String(i).padStart(2, '0')}.png`] = picture(i, W, H);
      const zipPath = join(dir, 'tiles.zip');
      await writeFile(zipPath, zipSync(files));

      await page.goto(`${server.url}?latent=4&hidden=32&batch=16&lr=0.01&steps=30&notune=1&lkMax=20`, { waitUntil: 'load' });
      await waitFor(page, 'the MNIST model', ready, 90_000);
      expect((await own(page)).data.kind).toBe('mnist');
      expect(await page.$$eval('#likelihood option', (o) => o.map((e) => (e as HTMLOptionElement).value))).toContain('bernoulli');

      const t0 = performance.now();
      const since = await page.evaluate(() => performance.now());
      await (await page.$('input#pick-files'))!.uploadFile(zipPath);
      const made = await waitFor(page, 'a model of the zip’s images', (s) => (s as OwnStatus).data.kind === 'own' && ready(s) && /^360-/.test(s.model), 60_000) as OwnStatus;
      console.info(`zip read and model made in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${made.model}; data ${JSON.stringify(made.data)}`);
      expect(made.data).toMatchObject({ count: 30, shape: '12×10×3', train: 27, test: 3, preset: 'mlp' });
      expect(made.data.problems).toEqual([]);
      const long = await longTasksSince(page, since);
      console.info(`long main-thread tasks while reading and making the model: ${JSON.stringify(long.map(([, d]) => Math.round(d)))}`);
      expect(long.filter(([, d]) => d > 100), 'no main-thread task over 100 ms while the zip is read').toEqual([]);
      const line = await page.$eval('#data-line', (e) => e.textContent ?? '');
      expect(line).toMatch(/30 PNG images: 30 of 12×10×3 · 27 train \/ 3 test \(fixed seeded split, test fraction 0\.1\) · preset mlp/);
      expect(made.model).toBe('360-32-4 / 4-32-360 (12×10×3, relu, bernoulli)');
      expect(await page.$eval('#pad-card', (e) => (e as HTMLElement).hidden), 'the drawing pad is for 28×28×1 models only').toBe(true);
      expect(await page.$eval('#pad-note', (e) => (e as HTMLElement).hidden)).toBe(false);

      await page.click('#start');
      const done = await waitFor(page, 'training on the zip’s images', (s) => s.state === 'done' && !s.busy, 60_000);
      console.info(`trained: ${done.message}; test −ELBO ${done.test.map((p) => `${p.step}: ${p.elbo.toFixed(2)}`).join(', ')}; host ${done.host}`);
      expect(done.step).toBe(30);
      expect(done.batch).toBe(16);
      expect(done.test[0]!.elbo, 'an untrained Bernoulli VAE costs about 360 ln 2 = 250 nats here').toBeGreaterThan(200);
      expect(done.test.at(-1)!.elbo, 'test −ELBO fell').toBeLessThan(done.test[0]!.elbo);
      const recColour = await colourShare(page, 'recon'), sampleColour = await colourShare(page, 'samples');
      console.info(`pixels with |R − G| > 16: reconstructions canvas ${(100 * recColour).toFixed(1)}%, samples ${(100 * sampleColour).toFixed(1)}%`);
      expect(recColour).toBeGreaterThan(0.2);
      expect(sampleColour, 'the decoded samples are in colour').toBeGreaterThan(0.2);

      // Loose files dropped on the page: 20 of 12×10, one of 14×10, one text file.
      const loose: [string, number[]][] = [...Array.from({ length: 20 }, (_, i) => [`p${i}.png`, Array.from(picture(40 + i, W, H))] as [string, number[]]),
        ['odd.png', Array.from(picture(99, W, 14))], ['readme.txt', Array.from(new TextEncoder().encode('not a picture'))]];
      await page.evaluate((loose) => {
        const dt = new DataTransfer();
        for (const [name, bytes] of loose) dt.items.add(new File([new Uint8Array(bytes)], name));
        document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, loose);
      const mixed = await waitFor(page, 'a model of the dropped images', (s) => (s as OwnStatus).data.count === 20 && ready(s), 60_000) as OwnStatus;
      expect(mixed.data).toMatchObject({ shape: '12×10×3', train: 18, test: 2 });
      const banner = await page.$eval('#banner', (e) => ((e as HTMLElement).hidden ? '' : e.textContent ?? ''));
      console.info(`banner: ${banner}`);
      expect(banner).toMatch(/1 file of another size left out \(kept: 20 images of 12×10×3\): odd\.png \(10×14\)/);
      expect(banner).toMatch(/readme\.txt: not an image or a data file/);

      // Images whose H and W are multiples of 4 get the conv preset, with C output channels.
      const squares: Record<string, Uint8Array> = {};
      for (let i = 0; i < 20; i++) squares[`s${i}.png`] = picture(i, 8, 8);
      await writeFile(join(dir, 'squares.zip'), zipSync(squares));
      const tc = performance.now();
      await (await page.$('input#pick-files'))!.uploadFile(join(dir, 'squares.zip'));
      const conv = await waitFor(page, 'a conv model of 8×8×3 images', (s) => (s as OwnStatus).data.shape === '8×8×3' && ready(s), 60_000) as OwnStatus;
      console.info(`conv model of 8×8×3 made (kernels compiled, test set evaluated) in ${((performance.now() - tc) / 1000).toFixed(1)} s`);
      expect(conv.data.preset).toBe('conv');
      expect(conv.model).toMatch(/conv2d/);
      expect(await page.$eval('#arch', (e) => (e as HTMLSelectElement).value)).toBe('conv');
      const t1 = performance.now();
      await page.click('#start');
      const convDone = await waitFor(page, 'the conv model at its budget', (s) => s.state === 'done' && !s.busy && s.step === 30, 90_000);
      console.info(`conv on 8×8×3: 30 steps in ${((performance.now() - t1) / 1000).toFixed(1)} s; test −ELBO ${convDone.test[0]!.elbo.toFixed(2)} → ${convDone.test.at(-1)!.elbo.toFixed(2)}`);
      expect(convDone.test.at(-1)!.elbo).toBeLessThan(convDone.test[0]!.elbo);

      await page.click('#use-mnist');
      const back = await waitFor(page, 'the MNIST model again', (s) => (s as OwnStatus).data.kind === 'mnist' && ready(s), 60_000);
      expect(back.model).toBe('784-32-4 / 4-32-784 (relu, bernoulli)');
      expect(await page.$eval('#pad-card', (e) => (e as HTMLElement).hidden)).toBe(false);
      expect(errors).toEqual([]);
    } catch (e) {
      const s = await status(page).catch(() => undefined);
      throw new Error(`${(e as Error).message}\npage: ${JSON.stringify(s)?.slice(0, 800)}\nerrors: ${errors.join('; ')}`);
    } finally {
      await page.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
