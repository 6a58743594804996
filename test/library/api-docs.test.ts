// The examples in docs/API.md run: each ```js block is written inside the package and executed with
// Node, importing 'webgpu-vae' by name (the package's self-reference resolves to the built dist/lib).
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
// Inside the package (not under node_modules), so `import 'webgpu-vae'` self-resolves to dist/lib.
const dir = 'test-artifacts/api-docs';

// dist/lib is built once by test/global-setup.ts.
beforeAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
});

describe('docs/API.md examples', async () => {
  const md = await readFile('docs/API.md', 'utf8');
  const blocks = [...md.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  it('has examples', () => expect(blocks.length).toBeGreaterThanOrEqual(4));
  blocks.forEach((code, i) => {
    it(`example ${i + 1} runs: ${code.split('\n').find((l) => l.startsWith('import'))?.slice(0, 80)}`, async () => {
      const file = join(dir, `example-${i + 1}.mjs`);
      await writeFile(file, code);
      const { stdout } = await run('node', [file], { timeout: 120_000 });
      console.info(`API.md example ${i + 1}:\n${stdout.trim()}`);
      expect(stdout.trim().length).toBeGreaterThan(0);
      if (i === 1) expect(stdout.trim()).toBe('[ 4.5, 0, 2, 12.5, 0, 2 ]');
    });
  });
});
