// docs/API.md holds true: every ```ts block is compiled in strict mode against the built declarations
// (dist/lib/types, checked too: skipLibCheck off, no Node types, so they serve browser projects), then
// run with Node, or, where its fence says `ts browser`, bundled by esbuild and run in headless Chromium
// beside a model.safetensors to fetch. Blocks import 'webgpu-vae' by name: written inside the package,
// its self-reference resolves that to dist/lib, as a consumer's install would.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, transform } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../browser/chromium';
import { serveStatic } from '../browser/static-server';

const run = promisify(execFile);
// Inside the package (not under node_modules), so `import 'webgpu-vae'` self-resolves to dist/lib.
const dir = 'test-artifacts/api-docs';

interface Block { code: string; browser: boolean; line: number }

async function blocks(): Promise<Block[]> {
  const md = await readFile('docs/API.md', 'utf8');
  return [...md.matchAll(/^```ts( browser)?\n([\s\S]*?)^```$/gm)].map((m) => ({
    code: m[2]!, browser: !!m[1], line: md.slice(0, m.index).split('\n').length,
  }));
}

/** Strict, as a consumer's strictest project would be; the DOM for the browser blocks, no @types/node. */
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [],
    strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, noImplicitOverride: true,
    skipLibCheck: false, noEmit: true, isolatedModules: true,
  },
  include: ['*.ts'],
};

// dist/lib is built once by test/global-setup.ts.
beforeAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
});

describe('docs/API.md examples', async () => {
  const all = await blocks();
  it('has examples, and no untyped ones', async () => {
    expect(all.length).toBeGreaterThanOrEqual(6);
    const md = await readFile('docs/API.md', 'utf8');
    expect(md.match(/^```(js|javascript|typescript)$/gm) ?? []).toEqual([]);
  });

  it('compile in strict mode against the built declarations', async () => {
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, include: ['*.ts'] }, null, 2));
    for (const [i, b] of all.entries()) await writeFile(join(dir, `example-${i + 1}.ts`), `// docs/API.md line ${b.line}\n${b.code}`);
    const out = await run('npx', ['tsc', '-p', join(dir, 'tsconfig.json')], { timeout: 120_000 }).catch((e: { stdout: string }) => e);
    expect(out.stdout.trim(), 'tsc found errors in docs/API.md examples or the declarations').toBe('');
  }, 180_000);

  all.forEach((b, i) => {
    if (b.browser) {
      it(`example ${i + 1} (line ${b.line}) runs in headless Chromium`, async () => {
        const site = join(dir, `browser-${i + 1}`);
        await mkdir(join(site, 'models'), { recursive: true });
        // The model the block fetches, saved by the built package in Node.
        await writeFile(join(site, 'make-model.mjs'), `import { writeFile } from 'node:fs/promises';
import { createRuntime, GpuVae } from 'webgpu-vae';
const gpu = await createRuntime();
const vae = new GpuVae(gpu.runtime, { encoderHidden: [16], decoderHidden: [16], latent: 2 }, { maxBatch: 4 });
await writeFile(process.argv[2], await vae.save());
vae.dispose();
gpu.destroy();
`);
        await run('node', [join(site, 'make-model.mjs'), join(site, 'models/model.safetensors')], { timeout: 120_000 });
        await writeFile(join(site, 'block.ts'), b.code);
        await writeFile(join(site, 'entry.ts'), "import('./block').then(() => { document.body.dataset.state = 'done'; }, (e) => { document.body.dataset.error = String(e?.stack ?? e); document.body.dataset.state = 'error'; });\n");
        await build({ entryPoints: [join(site, 'entry.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: join(site, 'entry.js'), logLevel: 'silent' });
        await writeFile(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="./entry.js"></script>');
        const server = await serveStatic(site);
        const chromium = await launchChromium();
        try {
          const page = await chromium.browser.newPage();
          const logged: string[] = [];
          page.on('console', (m) => logged.push(`${m.type()}: ${m.text()}`));
          await page.goto(server.url);
          await page.waitForFunction(() => !!document.body.dataset.state, { timeout: 120_000 });
          const error = await page.evaluate(() => document.body.dataset.error);
          console.info(`API.md example ${i + 1} in Chromium:\n${logged.join('\n')}`);
          expect(error).toBeUndefined();
          expect(logged.filter((l) => l.startsWith('log: ')).length).toBeGreaterThan(0);
          expect(logged.filter((l) => l.startsWith('error: '))).toEqual([]);
        } finally {
          await chromium.close();
          await server.close();
        }
      }, 240_000);
      return;
    }
    it(`example ${i + 1} (line ${b.line}) runs: ${b.code.split('\n').find((l) => l.startsWith('import'))?.slice(0, 80)}`, async () => {
      const file = join(dir, `example-${i + 1}.mjs`);
      const { code } = await transform(b.code, { loader: 'ts', format: 'esm', target: 'es2022' });
      await writeFile(file, code);
      const { stdout } = await run('node', [file], { timeout: 120_000 });
      console.info(`API.md example ${i + 1}:\n${stdout.trim()}`);
      expect(stdout.trim().length).toBeGreaterThan(0);
      if (b.code.includes('prepareMatmul(')) expect(stdout.trim()).toBe('[ 4.5, 0, 2, 12.5, 0, 2 ]');
    });
  });
});
