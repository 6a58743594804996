// The demo page against hostile input (issue 11), in headless Chromium on SwiftShader:
// - ?hidden=4096,4096,4096,4096&autostart=1 is refused with a banner (the page makes the default
//   model and waits) instead of freezing for ~30 s; the same widths typed into the control are
//   refused with a message and the model is kept;
// - a checkpoint the old bounds could not express (batch 2000, a decoder that does not mirror the
//   encoder, tanh, Gaussian, lr 2, β 150) loads, and the URL the page then writes reloads without a
//   warning to the same model;
// - checkpoints with lying metadata (batch "-5", a config claiming enormous layers), trailing bytes
//   past their header, or a model too large for the page are refused by name; the page keeps its model.
// (?notune=1 throughout: the tuning has its own test, demo-tune.test.ts.)
import { describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openPage, setup, status, waitFor } from './demo-harness';
import { encodeCheckpoint } from '../../src/model/checkpoint';
import { describeConfig, resolveConfig, type VaeConfig } from '../../src/model/config';
import { buildVaeGraph } from '../../src/model/vae-graph';
import { initParams } from '../../src/model/init';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors';

function checkpoint(config: VaeConfig, extra: Record<string, string>): Uint8Array {
  return encodeCheckpoint({ config, params: initParams(buildVaeGraph(config), config.seed), step: 0, extra });
}

const longest = (page: import('puppeteer-core').Page) =>
  page.evaluate(() => Math.max(0, ...(window as unknown as { __longTasks: [number, number][] }).__longTasks.map(([, d]) => d)));

describe('demo page: hostile input', () => {
  it('refuses a huge model from the URL and from the controls, with a message', async () => {
    const { server, chromium } = await setup();
    const { page, errors } = await openPage(chromium.browser);
    try {
      const t0 = performance.now();
      await page.goto(`${server.url}?hidden=4096,4096,4096,4096&autostart=1&notune=1`, { waitUntil: 'load' });
      const ready = await waitFor(page, 'the default model', (s) => s.state === 'ready' && !s.busy && s.test.length === 1, 90_000);
      console.info(`huge ?hidden=: ready in ${((performance.now() - t0) / 1000).toFixed(1)} s, longest main-thread task ${(await longest(page)).toFixed(0)} ms`);
      expect(ready.model).toBe('784-400-20 / 20-400-784 (relu, bernoulli)');
      expect(ready.step).toBe(0);
      expect(ready.warnings.join('\n')).toMatch(/hidden, decoder and batch ignored: the model 784-4096-4096-4096-4096-20 .* parameters, more than the 4,194,304/);
      expect(await page.$eval('#banner', (e) => e.textContent ?? '')).toMatch(/more than the 4,194,304 this page trains/);
      // Typed into the control: refused there, the model stays.
      await page.$eval('#hidden', (e) => {
        (e as HTMLInputElement).value = '4096,4096,4096,4096';
        e.dispatchEvent(new Event('change'));
      });
      const after = await status(page);
      expect(after.message).toMatch(/parameters, more than the 4,194,304/);
      expect(await page.$eval('#hidden', (e) => e.classList.contains('invalid'))).toBe(true);
      await new Promise((r) => setTimeout(r, 800));
      expect((await status(page)).model).toBe('784-400-20 / 20-400-784 (relu, bernoulli)');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 180_000);

  it('a loaded checkpoint writes a URL that reloads to the same model without warnings', async () => {
    const { server, chromium, tmp } = await setup();
    const config = resolveConfig({ latent: 3, encoderHidden: [48, 16], decoderHidden: [32], activation: 'tanh', likelihood: 'gaussian', beta: 150, seed: 5, adam: { lr: 2 } });
    const file = join(tmp, 'odd.safetensors');
    await writeFile(file, checkpoint(config, { batch: '2000' }));
    const { page, errors } = await openPage(chromium.browser);
    try {
      await page.goto(`${server.url}?hidden=16&latent=2&notune=1`, { waitUntil: 'load' });
      await waitFor(page, 'the first model', (s) => s.state === 'ready' && !s.busy && s.test.length === 1, 60_000);
      await (await page.$('input#load'))!.uploadFile(file);
      const loaded = await waitFor(page, 'the checkpoint', (s) => s.loaded?.name === 'odd.safetensors' && !s.busy && s.test.length > 0, 60_000);
      expect(loaded.model).toBe(describeConfig(config));
      expect(loaded.batch).toBe(2000);
      const search = await page.evaluate(() => location.search);
      console.info(`the page wrote ${search}`);
      expect(search).toMatch(/decoder=32/);
      await page.goto(`${server.url}${search}`, { waitUntil: 'load' });
      const again = await waitFor(page, 'the reloaded model', (s) => s.state === 'ready' && !s.busy && s.test.length === 1, 60_000);
      expect(again.warnings).toEqual([]);
      expect(again.model).toBe(describeConfig(config));
      expect(again.batch).toBe(2000);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 180_000);

  it('refuses lying, padded and too-large checkpoints by name and keeps its model', async () => {
    const { server, chromium, tmp } = await setup();
    const small = resolveConfig({ latent: 2, encoderHidden: [16], decoderHidden: [16] });
    const good = checkpoint(small, { batch: '64' });
    const { tensors, metadata } = decodeSafetensors(good);
    const cases: [string, Uint8Array, RegExp][] = [
      ['negative-batch.safetensors', checkpoint(small, { batch: '-5' }), /metadata batch is "-5"; expected an integer from 1/],
      ['huge-config.safetensors', encodeSafetensors(tensors, { ...metadata, config: JSON.stringify({ ...small, encoderHidden: [65536, 65536, 65536] }) }),
        /its config metadata describes the model 784-65536-65536-65536-2 .* but the file's F32 tensors hold only/],
      ['padded.safetensors', new Uint8Array([...good, ...new Uint8Array(4096)]), /4096 bytes at the end belong to no tensor/],
      ['too-big.safetensors', checkpoint(resolveConfig({ latent: 2, encoderHidden: [2048], decoderHidden: [2048] }), { batch: '9000' }),
        /this page does not train that model: .* at batch 9000 needs about \d+ MiB of GPU memory, more than the 256 MiB/],
    ];
    const { page, errors } = await openPage(chromium.browser);
    try {
      await page.goto(`${server.url}?hidden=16&latent=2&batch=64&notune=1`, { waitUntil: 'load' });
      const first = await waitFor(page, 'the first model', (s) => s.state === 'ready' && !s.busy && s.test.length === 1, 60_000);
      for (const [name, bytes, message] of cases) {
        const file = join(tmp, name);
        await writeFile(file, bytes);
        await (await page.$('input#load'))!.uploadFile(file);
        const refused = await waitFor(page, `the refusal of ${name}`, (s) => s.message.includes(`Could not load ${name}`) && !s.busy, 30_000);
        expect(refused.message, name).toMatch(message);
        expect(refused.loaded).toBeNull();
        expect(refused.model).toBe(first.model);
      }
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 180_000);
});
