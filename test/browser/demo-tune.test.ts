// The demo's kernel tuning in headless Chromium (SwiftShader), kept short (a small model, a small
// budget): the first visit tunes the model's shape classes without long main-thread stalls and keeps
// the choices in IndexedDB, shown in the status line; a second visit finds them and times nothing;
// another browser version (user agent) tunes afresh; a corrupt record is ignored with a warning;
// ?notune=1 runs the rule's schedules; a tuned model trains.
import { describe, expect, it } from 'vitest';
import { openPage, setup, status, waitFor, type DemoStatus } from './demo-harness';

interface Tune { enabled: boolean; state: string; store: string; adapterKey: string; classes: number; cached: number; tuned: number; budget: number; changed: number; elapsedMs: number; startedAt: number; endedAt: number }
type WithTune = DemoStatus & { tune: Tune };

const MODEL = '?latent=2&hidden=16&batch=32';
const ready = (s: DemoStatus) => s.state === 'ready' && !s.busy && s.test.length === 1;

describe('demo kernel tuning', () => {
  it('tunes on first use into IndexedDB, finds the choices on a second visit, tunes afresh for another browser version, ignores a corrupt cache, and can be turned off', async () => {
    const { server, chromium } = await setup();
    const { page, errors } = await openPage(chromium.browser);
    const visit = async (search: string, what: string) => {
      await page.goto(`${server.url}${search}`, { waitUntil: 'load' });
      const s = (await waitFor(page, what, ready, 120_000)) as WithTune;
      // Long tasks that began while the page tuned (and compiled) the model's kernels.
      const longTasks = (await page.evaluate(() => (window as unknown as { __longTasks: [number, number][] }).__longTasks))
        .filter(([t]) => t >= s.tune.startedAt && t <= s.tune.endedAt);
      const text = await page.$eval('#tune', (e) => e.textContent ?? '');
      console.info(`${what}: ${text}; longest main-thread task while tuning ${Math.max(0, ...longTasks.map(([, d]) => d)).toFixed(0)} ms`);
      return { s, text, longest: Math.max(0, ...longTasks.map(([, d]) => d)) };
    };
    try {
      const first = await visit(`${MODEL}&tuneBudget=100`, 'the first visit');
      const t1 = first.s.tune;
      expect(t1).toMatchObject({ enabled: true, state: 'done', cached: 0 });
      expect(t1.store).toMatch(/IndexedDB webgpu-vae\/tune/);
      expect(t1.tuned).toBeGreaterThan(0);
      expect(t1.classes).toBe(t1.tuned + t1.budget);
      expect(first.text).toMatch(new RegExp(`kernels: ${t1.classes} shape classes, ${t1.tuned} tuned now`));
      // Async pipelines and awaited samples: tuning never holds the main thread for long.
      expect(first.longest, 'no long main-thread stall while tuning').toBeLessThan(500);
      expect(first.s.warnings).toEqual([]);
      // The URL the page writes keeps the tuning parameters.
      expect(await page.evaluate(() => location.search)).toMatch(/tuneBudget=100/);

      const second = await visit(`${MODEL}&tuneBudget=100`, 'the second visit');
      expect(second.s.tune.cached, 'what the first visit tuned is found').toBe(t1.tuned);
      expect(second.s.tune.tuned, 'only what the first visit left to the budget is timed').toBe(t1.budget);
      expect(second.s.tune.adapterKey).toBe(t1.adapterKey);

      // Another browser version is another adapter key: tuned afresh. A budget that lets a loaded
      // SwiftShader compile a whole class's candidates (compiles past the budget are not begun).
      const ua = await page.evaluate(() => navigator.userAgent);
      await page.setUserAgent(`${ua} webgpu-vae-test/2`);
      const other = await visit(`${MODEL}&tuneBudget=60`, 'another browser version');
      expect(other.s.tune.adapterKey).not.toBe(t1.adapterKey);
      expect(other.s.tune.cached).toBe(0);
      expect(other.s.tune.tuned).toBeGreaterThan(0);
      await page.setUserAgent(ua);

      // A corrupt record: a warning in the banner, tuned afresh, the page works.
      await page.evaluate(() => new Promise<void>((resolve, reject) => {
        const r = indexedDB.open('webgpu-vae', 1);
        r.onsuccess = () => {
          const tx = r.result.transaction('tune', 'readwrite');
          tx.objectStore('tune').put('{"format": "webgpu-vae-tune", "adap', 'choices');
          tx.oncomplete = () => { r.result.close(); resolve(); };
          tx.onerror = () => reject(tx.error);
        };
        r.onerror = () => reject(r.error);
      }));
      const corrupt = await visit(`${MODEL}&tuneBudget=60`, 'a corrupt cache');
      expect(corrupt.s.warnings).toEqual([expect.stringMatching(/Kernel tuning: tune cache IndexedDB webgpu-vae\/tune is not valid JSON .*ignoring it and tuning afresh/)]);
      expect(await page.$eval('#banner', (e) => (e as HTMLElement).hidden ? '' : e.textContent)).toMatch(/ignoring it and tuning afresh/);
      expect(corrupt.s.tune.cached).toBe(0);
      expect(corrupt.s.tune.tuned).toBeGreaterThan(0);

      const off = await visit(`${MODEL}&notune=1`, 'tuning off');
      expect(off.s.tune).toMatchObject({ enabled: false, state: 'off', classes: 0 });
      expect(off.text).toBe('kernels: rule schedules (tuning off)');
      expect(await page.evaluate(() => location.search)).toMatch(/notune=1/);

      // A tuned model trains (the choices of the first visit are in the cache again after the corrupt one was replaced).
      await page.goto(`${server.url}${MODEL}&tuneBudget=10&steps=20&autostart=1`, { waitUntil: 'load' });
      const done = (await waitFor(page, 'training to step 20', (s) => s.state === 'done', 120_000)) as WithTune;
      expect(done.step).toBe(20);
      expect(done.tune.state).toBe('done');
      expect(done.test.at(-1)!.elbo).toBeLessThan(done.test[0]!.elbo);
      expect((await status(page)).warnings).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 600_000);
});
