// docs/API.md holds true: every ```ts block is compiled in strict mode against the built declarations
// (dist/lib/types, checked too: skipLibCheck off, no Node types, so they serve browser projects), then
// run with Node unless its fence says `ts browser`. Blocks import 'webgpu-vae' by name: written inside
// the package, the package's self-reference resolves that to dist/lib, as a consumer's install would.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { transform } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

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
    if (b.browser) return;
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
