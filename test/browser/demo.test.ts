// The demo page (demo/), built as the static site `npm run build:demo` makes and served by a plain
// static file server, in headless Chromium on WebGPU (SwiftShader):
// - a small VAE autostarted from URL parameters trains to its step budget: test −ELBO falls, the
//   charts and pictures are drawn, no console errors, no long main-thread stalls while training;
//   the screenshot goes to test-artifacts/demo.png;
// - without WebGPU (navigator.gpu missing, or no adapter) the page says what is needed;
// - checkpoints move both ways between the page and the CLI (`npm run train`): a CLI model.safetensors
//   loads in the page and gives the CLI's test −ELBO; the page's save is bit-identical to what it
//   loaded; the page trains on, and the CLI resumes the page's file at its step and ends where an
//   uninterrupted CLI run ends.
// The pages run with ?notune=1 (the rule's schedules, as the CLIs they are compared with; tuning
// costs seconds per page on SwiftShader): demo-tune.test.ts tests the page's tuning.
// Without Chromium this fails with what to install; it never skips.
import { describe, expect, it } from 'vitest';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from './chromium';
import { canvasInk, openPage, run, saveFromPage, setup, waitFor } from './demo-harness';
import { decodeCheckpoint } from '../../src/model/checkpoint';
import { encodePytorchModel, toPytorchStateDict } from '../../src/model/pytorch-layout';
import { encodeSafetensors } from '../../src/model/safetensors';

const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts');
const CLI_BUNDLE = join(PROJECT_ROOT, 'node_modules/.cache/webgpu-vae-demo-test/train.mjs');

describe('demo page in headless Chromium', () => {
  it('trains a small VAE from URL settings to its step budget, with charts, pictures and no errors', async () => {
    const { server, chromium } = await setup();
    const { page, errors } = await openPage(chromium.browser);
    try {
      const t0 = performance.now();
      await page.goto(`${server.url}?latent=2&hidden=64&batch=64&lr=0.002&steps=300&autostart=1&notune=1`, { waitUntil: 'load' });
      const training = await waitFor(page, 'training to start', (s) => s.state === 'training' || s.state === 'done', 60_000);
      const trainingSince = await page.evaluate(() => performance.now());
      console.info(`adapter: ${training.adapter}; model ${training.model}, batch ${training.batch}`);
      const done = await waitFor(page, 'data-state=done', (s) => s.state === 'done', 150_000);
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
      const seconds = (performance.now() - t0) / 1000;
      console.info(`done in ${seconds.toFixed(1)} s: ${done.message} (${done.stepsPerSecond.toFixed(1)} steps/s while training)`);

      expect(done.step).toBe(300);
      expect(done.model).toBe('784-64-2 / 2-64-784 (relu, bernoulli)');
      expect(done.software, 'SwiftShader is marked as a software adapter').toBe(true);
      expect(await page.$eval('#software', (e) => !(e as HTMLElement).hidden)).toBe(true);
      // Test −ELBO on all 1,000 test digits: at init, mid- and end-epoch (141 steps per epoch at batch 64), and at the stop.
      expect(done.test.map((p) => p.step)).toEqual([0, 71, 141, 212, 282, 300]);
      const first = done.test[0]!, last = done.test.at(-1)!;
      console.info(`test −ELBO by step: ${done.test.map((p) => `${p.step}: ${p.elbo.toFixed(2)}`).join(', ')} nats`);
      expect(first.elbo, 'an untrained Bernoulli VAE costs about 784 ln 2 = 543 nats').toBeGreaterThan(500);
      expect(last.elbo, 'test −ELBO fell').toBeLessThan(first.elbo - 250);
      expect(last.elbo).toBeLessThan(done.test[1]!.elbo);
      for (const p of [...done.test, ...done.train]) {
        expect(Number.isFinite(p.elbo) && p.kl >= 0).toBe(true);
        expect(Math.abs(p.objective - p.elbo), `β = 1: the loss is rec + KL at step ${p.step}`).toBeLessThan(1e-4 * p.elbo);
      }
      expect(done.train.length).toBe(30);
      expect(done.train.at(-1)!.elbo).toBeLessThan(done.train[0]!.elbo);
      // The headline number is the last test −ELBO.
      const shown = await page.$eval('#elbo', (e) => e.textContent ?? '');
      expect(Number(shown)).toBeCloseTo(last.elbo, 2);

      for (const id of ['chart-elbo', 'chart-rec', 'chart-kl']) {
        const ink = await canvasInk(page, id);
        console.info(`${id}: ${(ink.ink * 100).toFixed(1)}% ink, ${ink.width}×${ink.height}`);
        expect(ink.ink, `${id} has curves, grid and labels`).toBeGreaterThan(0.02);
      }
      for (const id of ['recon', 'samples', 'latent-canvas']) {
        const ink = await canvasInk(page, id);
        console.info(`${id}: ${(ink.ink * 100).toFixed(1)}% non-background, ${ink.levels} grey levels, ${ink.width}×${ink.height}`);
        expect(ink.ink, `${id} shows digits`).toBeGreaterThan(0.2);
        expect(ink.levels, `${id} is not flat`).toBeGreaterThan(20);
      }
      expect(await page.$eval('#latent-title', (e) => e.textContent)).toMatch(/manifold/i);

      const allLongTasks = await page.evaluate(() => (window as unknown as { __longTasks: [number, number][] }).__longTasks);
      const startup = allLongTasks.filter(([start]) => start < trainingSince);
      const worstStartup = Math.max(0, ...startup.map(([, d]) => d));
      console.info(`long tasks before training (page start, model made, first evaluation): ${startup.length}, longest ${worstStartup.toFixed(0)} ms; at ${startup.map(([t, d]) => `${t.toFixed(0)}+${d.toFixed(0)}`).join(", ")}; training from ${trainingSince.toFixed(0)} ms; ${JSON.stringify(await page.evaluate(() => performance.getEntriesByType("navigation").map((e) => [(e as PerformanceNavigationTiming).domContentLoadedEventEnd, (e as PerformanceNavigationTiming).loadEventEnd])))}`);
      const longTasks = allLongTasks.filter(([start]) => start >= trainingSince);
      const worst = Math.max(0, ...longTasks.map(([, d]) => d));
      console.info(`long tasks while training: ${longTasks.length}, longest ${worst.toFixed(0)} ms`);
      expect(worst, 'no long main-thread stall while training').toBeLessThan(500);

      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'demo.png'), fullPage: true });
      expect(errors).toEqual([]);
      expect(done.warnings).toEqual([]);
    } finally {
      await page.close();
    }
  }, 240_000);

  it('says which browser or flag is needed when WebGPU is missing, and flags bad URL parameters', async () => {
    const { server, chromium } = await setup();
    for (const [name, patch, reason] of [
      ['no navigator.gpu', () => { Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true }); }, /navigator\.gpu is undefined/],
      ['no adapter', () => { Object.defineProperty(GPU.prototype, 'requestAdapter', { value: async () => null, configurable: true }); }, /no GPU adapter/],
    ] as const) {
      const { page, errors } = await openPage(chromium.browser);
      try {
        await page.evaluateOnNewDocument(patch);
        await page.goto(`${server.url}?latent=abc&autostart=1`, { waitUntil: 'load' });
        await page.waitForSelector('body[data-state="no-webgpu"]', { timeout: 20_000 });
        const text = await page.$eval('#nogpu', (e) => ((e as HTMLElement).hidden ? '' : (e as HTMLElement).innerText));
        expect(text, name).toMatch(reason);
        expect(text).toMatch(/Chrome or Edge 113\+/);
        expect(text).toMatch(/enable-unsafe-webgpu/);
        expect(await page.$eval('#app', (e) => getComputedStyle(e).display)).toBe('none');
        const banner = await page.$eval('#banner', (e) => e.textContent ?? '');
        expect(banner).toMatch(/latent="abc" ignored/);
        if (name === 'no navigator.gpu') {
          await mkdir(ARTIFACTS, { recursive: true });
          await page.screenshot({ path: join(ARTIFACTS, 'demo-no-webgpu.png') });
        }
        expect(errors, name).toEqual([]);
      } finally {
        await page.close();
      }
    }
  }, 120_000);

  it('loads a CLI checkpoint with the CLI test −ELBO, saves it back bit-identical, and the CLI resumes the page’s save', async () => {
    const { server, chromium, tmp } = await setup();
    // The CLI, bundled as `npm run train` bundles it, trains one epoch of a tiny model.
    let t0 = performance.now();
    const bundled = await run(process.execPath, ['scripts/build-node.mjs', 'src/cli/train.ts', CLI_BUNDLE]);
    expect(bundled.code, bundled.stderr).toBe(0);
    const cliDir = join(tmp, 'cli-run');
    const tiny = ['--hidden', '64', '--latent', '2', '--batch', '256', '--eval-k', '0'];
    // Alongside: the same run, two epochs without interruption, for the resumed run to match.
    const straightDir = join(tmp, 'cli-straight');
    const [cli, straight] = await Promise.all([
      run(process.execPath, [CLI_BUNDLE, ...tiny, '--epochs', '1', '--out', cliDir]),
      run(process.execPath, [CLI_BUNDLE, ...tiny, '--epochs', '2', '--out', straightDir]),
    ]);
    expect(cli.code, `${cli.stdout}\n${cli.stderr}`).toBe(0);
    expect(straight.code, `${straight.stdout}\n${straight.stderr}`).toBe(0);
    const metrics = JSON.parse(await readFile(join(cliDir, 'metrics.json'), 'utf8'));
    const cliTest = metrics.epochs[0].test as { elbo: number; rec: number; kl: number };
    const cliStep = metrics.epochs[0].step as number;
    console.info(`CLI (${cli.stdout.split('\n')[0]}): ${((performance.now() - t0) / 1000).toFixed(1)} s, step ${cliStep}, test −ELBO ${cliTest.elbo.toFixed(4)} nats`);
    expect(cliStep).toBe(36);

    const { page, errors } = await openPage(chromium.browser);
    try {
      await page.goto(`${server.url}?latent=2&hidden=64&batch=64&notune=1`, { waitUntil: 'load' });
      await waitFor(page, 'the first model', (s) => s.state === 'ready' && !s.busy && s.test.length === 1, 60_000);

      // A file that is not a checkpoint is refused with a message; the page keeps its model.
      const junk = join(tmp, 'junk.safetensors');
      await writeFile(junk, 'not a checkpoint');
      await (await page.$('input#load'))!.uploadFile(junk);
      const refused = await waitFor(page, 'the refusal', (s) => /Could not load junk\.safetensors/.test(s.message) && !s.busy, 20_000);
      expect(refused.loaded).toBeNull();
      expect(refused.model).toBe('784-64-2 / 2-64-784 (relu, bernoulli)');

      // PyTorch → page: the CLI's model as a state_dict (vae/main.py names) loads, weights only, with
      // the CLI's test −ELBO; one whose fc4.weight has the wrong shape is refused, naming it.
      const cliModel = decodeCheckpoint(new Uint8Array(await readFile(join(cliDir, 'model.safetensors'))));
      const torchFile = join(tmp, 'pytorch.safetensors');
      await writeFile(torchFile, encodePytorchModel(cliModel, { batch: '256' }));
      const wrong = toPytorchStateDict(cliModel.config, cliModel.params);
      wrong['fc4.weight'] = { dtype: 'F32', shape: [784, 63], data: new Float32Array(784 * 63) };
      const wrongFile = join(tmp, 'wrong.safetensors');
      await writeFile(wrongFile, encodeSafetensors(wrong, { format: 'pt', config: JSON.stringify(cliModel.config) }));
      await (await page.$('input#load'))!.uploadFile(wrongFile);
      const misfit = await waitFor(page, 'the misfit refusal', (s) => /Could not load wrong\.safetensors/.test(s.message) && !s.busy, 20_000);
      expect(misfit.message).toMatch(/fc4\.weight is F32 \[784, 63\]; expected F32 \[784, 64\]/);
      expect(misfit.loaded).toBeNull();
      await (await page.$('input#load'))!.uploadFile(torchFile);
      const fromTorch = await waitFor(page, 'the PyTorch model', (s) => s.loaded?.name === 'pytorch.safetensors' && !s.busy && /Test −ELBO/.test(s.message), 60_000);
      console.info(`page: PyTorch state_dict test −ELBO ${fromTorch.test.at(-1)!.elbo.toFixed(4)} vs CLI ${cliTest.elbo.toFixed(4)} nats`);
      expect(fromTorch.message).toMatch(/no Adam state \(weights only\)/);
      expect(fromTorch.batch).toBe(256);
      expect(Math.abs(fromTorch.test.at(-1)!.elbo - cliTest.elbo)).toBeLessThan(0.05);

      // CLI → page: same config, step, batch and test −ELBO (same split, noise and batching; rounding differs by adapter).
      t0 = performance.now();
      await (await page.$('input#load'))!.uploadFile(join(cliDir, 'model.safetensors'));
      const loaded = await waitFor(page, 'the CLI checkpoint', (s) => s.loaded?.step === cliStep && !s.busy && s.test.at(-1)?.step === cliStep, 60_000);
      const pageTest = loaded.test.at(-1)!;
      console.info(`page: loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s; test −ELBO ${pageTest.objective.toFixed(4)} vs CLI ${cliTest.elbo.toFixed(4)} nats (Δ ${(pageTest.objective - cliTest.elbo).toExponential(2)})`);
      expect(Math.abs(pageTest.objective - cliTest.elbo)).toBeLessThan(0.05);
      expect(Math.abs(pageTest.elbo - cliTest.elbo)).toBeLessThan(0.05);
      expect(Math.abs(pageTest.rec - cliTest.rec)).toBeLessThan(0.05);
      expect(Math.abs(pageTest.kl - cliTest.kl)).toBeLessThan(0.05);
      expect(loaded.batch).toBe(256);
      const controls = await page.evaluate(() => ['latent', 'hidden', 'batch', 'lr', 'beta'].map((id) => (document.getElementById(id) as HTMLInputElement).value));
      expect(controls).toEqual(['2', '64', '256', '0.001', '1']);
      expect(loaded.message).toMatch(/Adam state restored/);

      // Page → file, untouched: the same tensors, bit for bit, and the same step and config.
      const cliState = decodeCheckpoint(new Uint8Array(await readFile(join(cliDir, 'model.safetensors'))));
      const again = decodeCheckpoint(new Uint8Array(await readFile(await saveFromPage(chromium.browser, page, join(tmp, 'save-1')))));
      expect(again.step).toBe(cliStep);
      expect(again.config).toEqual(cliState.config);
      expect(again.extra?.batch).toBe('256');
      expect(Buffer.from(again.params.buffer).equals(Buffer.from(cliState.params.buffer)), 'weights round-trip exactly').toBe(true);
      expect(Buffer.from(again.adam!.m.buffer).equals(Buffer.from(cliState.adam!.m.buffer)), 'Adam m round-trips exactly').toBe(true);
      expect(Buffer.from(again.adam!.v.buffer).equals(Buffer.from(cliState.adam!.v.buffer)), 'Adam v round-trips exactly').toBe(true);

      // Ten more steps in the page (the CLI's data order continues), then save.
      await page.$eval('#steps', (e) => {
        (e as HTMLInputElement).value = String(46);
        e.dispatchEvent(new Event('change'));
      });
      await page.click('#start');
      const trained = await waitFor(page, 'step 46', (s) => s.state === 'done' && s.step === 46, 90_000);
      expect(trained.test.at(-1)!.step).toBe(46);
      expect(trained.test.at(-1)!.elbo).toBeLessThan(pageTest.elbo);
      const saveDir = join(tmp, 'save-2');
      const saved = decodeCheckpoint(new Uint8Array(await readFile(await saveFromPage(chromium.browser, page, saveDir))));
      expect(saved.step).toBe(46);
      expect(saved.extra?.batch).toBe('256');
      expect(saved.adam).toBeDefined();

      // Page → CLI: it resumes at the page's step and finishes epoch 2 (step 72).
      t0 = performance.now();
      const resumed = await run(process.execPath, [CLI_BUNDLE, '--resume', saveDir, '--epochs', '2', '--eval-k', '0']);
      console.info(`CLI --resume: ${((performance.now() - t0) / 1000).toFixed(1)} s\n${resumed.stdout.trim()}`);
      expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
      expect(resumed.stdout).toContain('resuming at step 46');
      const after = JSON.parse(await readFile(join(saveDir, 'metrics.json'), 'utf8'));
      expect(after.batch).toBe(256);
      expect(after.epochs.at(-1).step).toBe(72);
      expect(after.epochs.at(-1).test.elbo).toBeLessThan(trained.test.at(-1)!.elbo);
      // CLI (36 steps) → page (10 steps, SwiftShader) → CLI (26 steps) is the uninterrupted CLI run:
      // same batches, noise and Adam state throughout; only float rounding differs between adapters.
      const straightTest = JSON.parse(await readFile(join(straightDir, 'metrics.json'), 'utf8')).epochs.at(-1).test;
      const chained = after.epochs.at(-1).test;
      console.info(`step 72 test −ELBO: CLI → page → CLI ${chained.elbo.toFixed(4)}, CLI straight ${straightTest.elbo.toFixed(4)} nats`);
      expect(Math.abs(chained.elbo - straightTest.elbo)).toBeLessThan(0.05);
      expect(Math.abs(chained.kl - straightTest.kl)).toBeLessThan(0.05);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 240_000);
});
